// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Consortium: organisations, member accounts, governance and chain permissioning (docs/design.md §1.1)
/// @notice Organisations are admitted, suspended, reinstated and given roles by proposals that a
///         threshold of governors approve. Each organisation manages its own member accounts through
///         its admin account, at once. Every change is pushed into the attached member caches and
///         recorded as an event, so the audit trail (who admitted whom, when, by which votes) can be
///         rebuilt from logs alone.
interface IConsortium {
    /// @notice What a proposal does; `data` is the ABI encoding given for each kind.
    enum ProposalKind {
        ADMIT, // abi.encode(string legalId, string name, uint16 roles, bytes32 encryptionKey, address admin)
        SUSPEND, // abi.encode(uint32 org)
        REINSTATE, // abi.encode(uint32 org)
        GRANT_ROLE, // abi.encode(uint32 org, uint8 role)
        REVOKE_ROLE, // abi.encode(uint32 org, uint8 role)
        CHANGE_THRESHOLD, // abi.encode(uint256 threshold)
        ADD_GOVERNOR, // abi.encode(address governor)
        REMOVE_GOVERNOR, // abi.encode(address governor)
        // abi.encode(uint32 org, address admin, address[] keepAccounts): recovers a stolen admin key; every
        // other account of the organisation leaves
        REPLACE_ADMIN,
        REGISTER_SCHEMA, // abi.encode(address attestationRegistry, SchemaRecord record)
        SET_SCHEMA_ACTIVE, // abi.encode(address attestationRegistry, bytes32 schemaId, bool active)
        // abi.encode(address attestationRegistry, uint32 agency, bytes32 schemaId, address[] signers, uint8 k)
        SET_REPORT_SIGNERS
    }

    /// @notice The consortium record of an organisation.
    struct Organisation {
        /// @notice Organisation id (sequential from 1); 0 in the record of an unknown id.
        uint32 id;
        /// @notice Role bitmask (bit `uint8(Role)` per role held).
        uint16 roles;
        /// @notice Whether the organisation is suspended (it may then only discharge what it owes).
        bool suspended;
        /// @notice Number of member accounts.
        uint8 accountCount;
        /// @notice The account that manages the member accounts (always one of them).
        address admin;
        /// @notice When the organisation was admitted (block timestamp).
        uint64 admittedAt;
        /// @notice The organisation's X25519 document-encryption public key.
        bytes32 encryptionKey;
        /// @notice Legal identifier (Unified Social Credit Code, LEI, SMDG/SCAC code); unique.
        string legalId;
        /// @notice Registered name.
        string name;
    }

    /// @notice A governance proposal.
    struct Proposal {
        /// @notice What it does.
        ProposalKind kind;
        /// @notice Whether it has been executed.
        bool executed;
        /// @notice Approvals of current governors at the last approval (the proposer's included).
        uint32 approvals;
        /// @notice Governor who proposed it.
        address proposer;
        /// @notice When it was proposed (block timestamp).
        uint64 createdAt;
        /// @notice The kind's ABI-encoded arguments.
        bytes data;
    }

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    /// @notice A registry proposal names an address that is not an attached member cache.
    /// @param registry The address given.
    error ConsortiumUnknownRegistry(address registry);

    /// @notice The caller is not a governor.
    /// @param caller The caller.
    error ConsortiumNotGovernor(address caller);
    /// @notice The caller is not the admin account of the organisation.
    /// @param org The organisation.
    /// @param caller The caller.
    error ConsortiumNotOrgAdmin(uint32 org, address caller);
    /// @notice The caller is not the deployer, or the bootstrap phase is over.
    /// @param caller The caller.
    error ConsortiumNotBootstrapper(address caller);
    /// @notice The governor has already approved the proposal.
    /// @param proposalId The proposal.
    /// @param governor The governor.
    error ConsortiumAlreadyApproved(uint256 proposalId, address governor);
    /// @notice No such proposal.
    /// @param proposalId The proposal id.
    error ConsortiumUnknownProposal(uint256 proposalId);
    /// @notice The proposal has already been executed.
    /// @param proposalId The proposal.
    error ConsortiumProposalExecuted(uint256 proposalId);
    /// @notice The proposal kind is not one of {ProposalKind}.
    /// @param kind The kind given.
    error ConsortiumInvalidProposalKind(uint8 kind);
    /// @notice No such organisation.
    /// @param org The organisation id.
    error ConsortiumUnknownOrganisation(uint32 org);
    /// @notice The organisation is suspended.
    /// @param org The organisation.
    error ConsortiumOrganisationSuspended(uint32 org);
    /// @notice The organisation is not suspended (reinstatement refused).
    /// @param org The organisation.
    error ConsortiumOrganisationNotSuspended(uint32 org);
    /// @notice Another organisation already uses this legal identifier.
    /// @param legalId The legal identifier.
    /// @param org The organisation that has it.
    error ConsortiumDuplicateLegalId(string legalId, uint32 org);
    /// @notice The role is not one of {Role}, or the role set has bits beyond the last role.
    /// @param roles The role or role bitmask given.
    error ConsortiumInvalidRole(uint16 roles);
    /// @notice The organisation already holds the role (grant refused).
    /// @param org The organisation.
    /// @param role The role.
    error ConsortiumRoleAlreadyHeld(uint32 org, uint8 role);
    /// @notice The organisation does not hold the role (revocation refused).
    /// @param org The organisation.
    /// @param role The role.
    error ConsortiumRoleNotHeld(uint32 org, uint8 role);
    /// @notice The threshold must be between 1 and the number of governors.
    /// @param threshold The threshold that would result.
    /// @param governors The number of governors that would result.
    error ConsortiumInvalidThreshold(uint256 threshold, uint256 governors);
    /// @notice The address is already a governor.
    /// @param account The address.
    error ConsortiumAlreadyGovernor(address account);
    /// @notice The zero address is not a valid account, admin, governor or cache.
    error ConsortiumZeroAddress();
    /// @notice The account already acts for an organisation.
    /// @param account The account.
    /// @param org The organisation it acts for.
    error ConsortiumAccountTaken(address account, uint32 org);
    /// @notice The account is not a member account of the organisation.
    /// @param org The organisation.
    /// @param account The account.
    error ConsortiumAccountNotMember(uint32 org, address account);
    /// @notice The admin account cannot be removed; appoint another admin first.
    /// @param org The organisation.
    /// @param account The admin account.
    error ConsortiumAccountIsAdmin(uint32 org, address account);
    /// @notice The organisation already has the maximum number of member accounts.
    /// @param org The organisation.
    /// @param max The maximum.
    error ConsortiumTooManyAccounts(uint32 org, uint256 max);
    /// @notice The organisation already has the maximum number of registered nodes.
    /// @param org The organisation.
    /// @param max The maximum.
    error ConsortiumTooManyNodes(uint32 org, uint256 max);
    /// @notice The node is registered to an organisation already / is not registered to this one.
    /// @param enodeHash keccak256 of the enode id.
    /// @param org The organisation it is registered to (0 if none).
    error ConsortiumNodeConflict(bytes32 enodeHash, uint32 org);
    /// @notice The cache is already attached.
    /// @param cache The cache.
    error ConsortiumCacheAlreadyAttached(address cache);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice A governor proposed a change.
    /// @param proposalId The proposal id (sequential from 1).
    /// @param kind What it does.
    /// @param proposer The governor.
    /// @param data The kind's ABI-encoded arguments.
    event ProposalCreated(uint256 indexed proposalId, ProposalKind kind, address indexed proposer, bytes data);
    /// @notice A governor approved a proposal (the proposer's own approval included).
    /// @param proposalId The proposal.
    /// @param governor The governor.
    /// @param approvals The number of approvals after this one.
    event ProposalApproved(uint256 indexed proposalId, address indexed governor, uint256 approvals);
    /// @notice A proposal reached the threshold and took effect.
    /// @param proposalId The proposal.
    event ProposalExecuted(uint256 indexed proposalId);
    /// @notice An organisation was admitted.
    /// @param org The new organisation id.
    /// @param legalId Its legal identifier.
    /// @param name Its name.
    /// @param roles Its role bitmask.
    /// @param encryptionKey Its document-encryption public key.
    /// @param admin Its admin (and first member) account.
    /// @param proposalId The proposal that admitted it; 0 when admitted during bootstrap.
    event OrganisationAdmitted(
        uint32 indexed org,
        string legalId,
        string name,
        uint16 roles,
        bytes32 encryptionKey,
        address admin,
        uint256 indexed proposalId
    );
    /// @notice An organisation was suspended.
    /// @param org The organisation.
    /// @param proposalId The proposal.
    event OrganisationSuspended(uint32 indexed org, uint256 indexed proposalId);
    /// @notice An organisation was reinstated.
    /// @param org The organisation.
    /// @param proposalId The proposal.
    event OrganisationReinstated(uint32 indexed org, uint256 indexed proposalId);
    /// @notice A role was granted.
    /// @param org The organisation.
    /// @param role The role.
    /// @param roles The organisation's role bitmask after the change.
    /// @param proposalId The proposal.
    event RoleGranted(uint32 indexed org, uint8 role, uint16 roles, uint256 indexed proposalId);
    /// @notice A role was revoked.
    /// @param org The organisation.
    /// @param role The role.
    /// @param roles The organisation's role bitmask after the change.
    /// @param proposalId The proposal.
    event RoleRevoked(uint32 indexed org, uint8 role, uint16 roles, uint256 indexed proposalId);
    /// @notice The approval threshold changed.
    /// @param previous The previous threshold.
    /// @param threshold The new threshold.
    /// @param proposalId The proposal (0 at construction).
    event ThresholdChanged(uint256 previous, uint256 threshold, uint256 indexed proposalId);
    /// @notice A governor was added.
    /// @param governor The governor.
    /// @param proposalId The proposal (0 at construction).
    event GovernorAdded(address indexed governor, uint256 indexed proposalId);
    /// @notice A governor was removed.
    /// @param governor The governor.
    /// @param proposalId The proposal.
    event GovernorRemoved(address indexed governor, uint256 indexed proposalId);
    /// @notice A member account was added to an organisation.
    /// @param org The organisation.
    /// @param account The account.
    /// @param by The admin account that added it.
    event AccountAdded(uint32 indexed org, address indexed account, address by);
    /// @notice A member account was removed from an organisation.
    /// @param org The organisation.
    /// @param account The account.
    /// @param by The admin account that removed it.
    event AccountRemoved(uint32 indexed org, address indexed account, address by);
    /// @notice An organisation appointed another admin account.
    /// @param org The organisation.
    /// @param previous The previous admin account.
    /// @param admin The new admin account.
    event AdminChanged(uint32 indexed org, address previous, address admin);
    /// @notice An organisation published a new document-encryption public key.
    /// @param org The organisation.
    /// @param encryptionKey The X25519 public key.
    event EncryptionKeyChanged(uint32 indexed org, bytes32 encryptionKey);
    /// @notice An organisation registered a node that may connect to the network.
    /// @param org The organisation.
    /// @param enodeHash keccak256 of the enode id.
    /// @param enodeId The enode id (public key hex).
    event NodeAdded(uint32 indexed org, bytes32 indexed enodeHash, string enodeId);
    /// @notice An organisation removed one of its nodes.
    /// @param org The organisation.
    /// @param enodeHash keccak256 of the enode id.
    event NodeRemoved(uint32 indexed org, bytes32 indexed enodeHash);
    /// @notice A member cache was attached; it received every organisation and account.
    /// @param cache The cache (a registry inheriting MemberCache).
    event CacheAttached(address indexed cache);
    /// @notice The deployer's bootstrap phase ended: from now on only proposals change membership.
    event BootstrapSealed();

    // ----------------------------------------------------------------------------------------------
    // Bootstrap (deployer, until sealed)
    // ----------------------------------------------------------------------------------------------

    /// @notice Attaches a member cache and pushes every organisation and account into it; from then on
    ///         every change is pushed to it. Deployer only, before {sealBootstrap}.
    /// @param cache The cache.
    function attachCache(address cache) external;

    /// @notice Admits an organisation without a vote. Deployer only, before {sealBootstrap}.
    /// @param legalId Legal identifier (unique).
    /// @param name Name.
    /// @param roles Role bitmask.
    /// @param encryptionKey X25519 public key.
    /// @param admin Admin and first member account.
    /// @return org The new organisation id.
    function bootstrapAdmit(
        string calldata legalId,
        string calldata name,
        uint16 roles,
        bytes32 encryptionKey,
        address admin
    ) external returns (uint32 org);

    /// @notice Ends the bootstrap phase for good. Deployer only.
    function sealBootstrap() external;

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @notice Proposes a change; the proposer's approval counts, so with threshold 1 it executes at once.
    ///         The arguments are checked now and again at execution.
    /// @param kind A {ProposalKind}.
    /// @param data The kind's ABI-encoded arguments.
    /// @return proposalId The proposal id.
    function propose(uint8 kind, bytes calldata data) external returns (uint256 proposalId);

    /// @notice Approves a proposal; it executes when the approvals of the current governors reach the
    ///         threshold (approvals of governors removed since no longer count).
    /// @param proposalId The proposal.
    function approve(uint256 proposalId) external;

    // ----------------------------------------------------------------------------------------------
    // Organisation self-management (admin account, at once)
    // ----------------------------------------------------------------------------------------------

    /// @notice Adds a member account (refused while the organisation is suspended).
    /// @param org The organisation.
    /// @param account The account.
    function addAccount(uint32 org, address account) external;

    /// @notice Removes a member account at once. Allowed while suspended: cutting off a compromised key
    ///         must never wait, and it only reduces what the organisation can do.
    /// @param org The organisation.
    /// @param account The account (not the admin).
    function removeAccount(uint32 org, address account) external;

    /// @notice Appoints another of the organisation's member accounts as admin.
    /// @param org The organisation.
    /// @param admin A member account of `org`.
    function setAdmin(uint32 org, address admin) external;

    /// @notice Publishes a new document-encryption public key.
    /// @param org The organisation.
    /// @param encryptionKey X25519 public key.
    function setEncryptionKey(uint32 org, bytes32 encryptionKey) external;

    /// @notice Registers a node of the organisation for {connectionAllowed}.
    /// @param org The organisation.
    /// @param enodeId The enode id (public key hex, as Besu passes it).
    function addNode(uint32 org, string calldata enodeId) external;

    /// @notice Removes a node of the organisation.
    /// @param org The organisation.
    /// @param enodeId The enode id.
    function removeNode(uint32 org, string calldata enodeId) external;

    // ----------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------

    /// @notice The record of an organisation (all zero for an unknown id).
    /// @param org The organisation id.
    function organisation(uint32 org) external view returns (Organisation memory);

    /// @notice The organisation an account acts for (0 if none).
    /// @param account The account.
    function orgOf(address account) external view returns (uint32);

    /// @notice The member accounts of an organisation.
    /// @param org The organisation id.
    function accountsOf(uint32 org) external view returns (address[] memory);

    /// @notice The id the next admitted organisation will get minus one, i.e. the number of organisations.
    function organisationCount() external view returns (uint32);

    /// @notice Whether the address is a governor.
    /// @param account The account.
    function isGovernor(address account) external view returns (bool);

    /// @notice The governors.
    function governors() external view returns (address[] memory);

    /// @notice Approvals needed to execute a proposal.
    function threshold() external view returns (uint256);

    /// @notice A proposal (kind ADMIT with proposer 0 for an unknown id).
    /// @param proposalId The proposal id.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Whether a governor approved a proposal.
    /// @param proposalId The proposal id.
    /// @param governor The governor.
    function hasApproved(uint256 proposalId, address governor) external view returns (bool);

    /// @notice The attached member caches.
    function caches() external view returns (address[] memory);

    /// @notice Besu account permissioning: whether `sender` may send a transaction. Governors and member
    ///         accounts (of suspended organisations too: they must still be able to discharge) may; the
    ///         deployer may until the bootstrap is sealed.
    /// @param sender The transaction sender.
    /// @param target The transaction target (not consulted).
    /// @param value The value sent (not consulted).
    /// @param gasPrice The gas price (not consulted).
    /// @param gasLimit The gas limit (not consulted).
    /// @param payload The call data (not consulted).
    function transactionAllowed(
        address sender,
        address target,
        uint256 value,
        uint256 gasPrice,
        uint256 gasLimit,
        bytes calldata payload
    ) external view returns (bool);

    /// @notice Besu node permissioning: whether the node may connect (registered by a known organisation).
    /// @param enodeId The enode id (public key hex).
    /// @param ip The node's address (not consulted).
    /// @param port The node's port (not consulted).
    function connectionAllowed(string calldata enodeId, string calldata ip, uint16 port) external view returns (bool);
}
