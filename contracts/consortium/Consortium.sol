// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IMemberCache} from "../interfaces/IMemberCache.sol";
import {SchemaRecord} from "../types/AttestationTypes.sol";
import {Role} from "../types/Roles.sol";

/// @title Consortium (see {IConsortium})
/// @notice Owns membership. The registries never call it: it pushes every change into their member
///         caches, so a title action checks membership with one local storage read.
contract Consortium is IConsortium {
    /// @notice Most member accounts per organisation: a suspension or role change re-syncs every account
    ///         of the organisation into every cache, so the loop must stay bounded.
    uint256 public constant MAX_ACCOUNTS = 32;
    /// @notice Most registered nodes per organisation.
    uint256 public constant MAX_NODES = 8;
    /// @dev Bits of the roles that exist (`PORT_AUTHORITY` is the last).
    uint16 private constant _ALL_ROLES = uint16((1 << (uint8(type(Role).max) + 1)) - 1);

    /// @dev The organisation record; `accountCount` lives in `_accounts[org].length`.
    struct OrgRecord {
        uint16 roles;
        bool suspended;
        uint8 nodeCount;
        address admin;
        uint64 admittedAt;
        bytes32 encryptionKey;
        string legalId;
        string name;
    }

    /// @dev Membership of one account (one slot).
    struct AccountRecord {
        uint32 org;
        uint32 indexPlusOne;
    }

    /// @dev Proposal state; `data` is kept so execution decodes exactly what was voted on.
    struct ProposalRecord {
        ProposalKind kind;
        bool executed;
        uint32 approvals;
        address proposer;
        uint64 createdAt;
        bytes data;
    }

    address private immutable _deployer;
    bool private _sealed;
    uint32 private _orgCount;
    uint256 private _threshold;
    uint256 private _proposalCount;

    address[] private _governors;
    mapping(address account => bool) private _isGovernor;

    mapping(uint32 org => OrgRecord) private _orgRecords;
    mapping(bytes32 legalIdHash => uint32 org) private _orgByLegalId;
    mapping(uint32 org => address[]) private _accounts;
    /// @dev The organisation an account acts for and its position in `_accounts[org]` plus one.
    mapping(address account => AccountRecord) private _accountOf;

    mapping(bytes32 enodeHash => uint32 org) private _nodeOrg;

    mapping(uint256 proposalId => ProposalRecord) private _proposals;
    mapping(uint256 proposalId => mapping(address governor => bool)) private _approved;

    address[] private _caches;
    mapping(address cache => bool) private _isCache;

    /// @param governors_ The initial governors (distinct, non-zero).
    /// @param threshold_ Approvals needed to execute a proposal (1 ..= number of governors).
    constructor(address[] memory governors_, uint256 threshold_) {
        _deployer = msg.sender;
        for (uint256 i = 0; i < governors_.length; ++i) _addGovernor(governors_[i], 0);
        _setThreshold(threshold_, 0);
    }

    modifier onlyGovernor() {
        if (!_isGovernor[msg.sender]) revert ConsortiumNotGovernor(msg.sender);
        _;
    }

    modifier onlyBootstrapper() {
        if (msg.sender != _deployer || _sealed) revert ConsortiumNotBootstrapper(msg.sender);
        _;
    }

    // ----------------------------------------------------------------------------------------------
    // Bootstrap
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function attachCache(address cache) external onlyBootstrapper {
        if (cache == address(0)) revert ConsortiumZeroAddress();
        if (_isCache[cache]) revert ConsortiumCacheAlreadyAttached(cache);
        _isCache[cache] = true;
        _caches.push(cache);
        uint32 count = _orgCount;
        for (uint32 org = 1; org <= count; ++org) {
            OrgRecord storage rec = _orgRecords[org];
            IMemberCache(cache).syncOrganisation(org, rec.roles, rec.suspended);
            address[] storage accounts = _accounts[org];
            for (uint256 i = 0; i < accounts.length; ++i) {
                IMemberCache(cache).syncMember(accounts[i], org, rec.roles, rec.suspended);
            }
        }
        emit CacheAttached(cache);
    }

    /// @inheritdoc IConsortium
    function bootstrapAdmit(
        string calldata legalId,
        string calldata name,
        uint16 roles,
        bytes32 encryptionKey,
        address admin
    ) external onlyBootstrapper returns (uint32 org) {
        _checkAdmit(legalId, roles, admin);
        return _admit(legalId, name, roles, encryptionKey, admin, 0);
    }

    /// @inheritdoc IConsortium
    function sealBootstrap() external onlyBootstrapper {
        _sealed = true;
        emit BootstrapSealed();
    }

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function propose(uint8 kind, bytes calldata data) external onlyGovernor returns (uint256 proposalId) {
        if (kind > uint8(type(ProposalKind).max)) revert ConsortiumInvalidProposalKind(kind);
        ProposalKind k = ProposalKind(kind);
        _check(k, data);
        proposalId = ++_proposalCount;
        ProposalRecord storage p = _proposals[proposalId];
        p.kind = k;
        p.proposer = msg.sender;
        p.createdAt = uint64(block.timestamp);
        p.data = data;
        emit ProposalCreated(proposalId, k, msg.sender, data);
        _approve(proposalId, p);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external onlyGovernor {
        ProposalRecord storage p = _proposals[proposalId];
        if (p.proposer == address(0)) revert ConsortiumUnknownProposal(proposalId);
        if (p.executed) revert ConsortiumProposalExecuted(proposalId);
        if (_approved[proposalId][msg.sender]) revert ConsortiumAlreadyApproved(proposalId, msg.sender);
        _approve(proposalId, p);
    }

    /// @dev Approvals are recounted over the current governors, so the vote of a governor removed since
    ///      it approved no longer counts (the governor set is small: the loop is bounded in practice).
    function _approve(uint256 proposalId, ProposalRecord storage p) private {
        _approved[proposalId][msg.sender] = true;
        uint32 approvals = 0;
        uint256 n = _governors.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_approved[proposalId][_governors[i]]) ++approvals;
        }
        p.approvals = approvals;
        emit ProposalApproved(proposalId, msg.sender, approvals);
        if (approvals >= _threshold) {
            p.executed = true;
            bytes memory data = p.data;
            _check(p.kind, data);
            _execute(p.kind, data, proposalId);
            emit ProposalExecuted(proposalId);
        }
    }

    /// @dev Validates a proposal's arguments against the current state (at proposal and at execution).
    function _check(ProposalKind kind, bytes memory data) private view {
        if (kind == ProposalKind.ADMIT) {
            (string memory legalId, , uint16 roles, , address admin) = abi.decode(
                data,
                (string, string, uint16, bytes32, address)
            );
            _checkAdmit(legalId, roles, admin);
        } else if (kind == ProposalKind.SUSPEND || kind == ProposalKind.REINSTATE) {
            uint32 org = abi.decode(data, (uint32));
            OrgRecord storage rec = _known(org);
            if (kind == ProposalKind.SUSPEND && rec.suspended) revert ConsortiumOrganisationSuspended(org);
            if (kind == ProposalKind.REINSTATE && !rec.suspended) revert ConsortiumOrganisationNotSuspended(org);
        } else if (kind == ProposalKind.GRANT_ROLE || kind == ProposalKind.REVOKE_ROLE) {
            (uint32 org, uint8 role) = abi.decode(data, (uint32, uint8));
            OrgRecord storage rec = _known(org);
            if (role > uint8(type(Role).max)) revert ConsortiumInvalidRole(role);
            bool held = rec.roles & (uint16(1) << role) != 0;
            if (kind == ProposalKind.GRANT_ROLE && held) revert ConsortiumRoleAlreadyHeld(org, role);
            if (kind == ProposalKind.REVOKE_ROLE && !held) revert ConsortiumRoleNotHeld(org, role);
        } else if (kind == ProposalKind.CHANGE_THRESHOLD) {
            uint256 t = abi.decode(data, (uint256));
            if (t == 0 || t > _governors.length) revert ConsortiumInvalidThreshold(t, _governors.length);
        } else if (kind == ProposalKind.ADD_GOVERNOR) {
            address g = abi.decode(data, (address));
            if (g == address(0)) revert ConsortiumZeroAddress();
            if (_isGovernor[g]) revert ConsortiumAlreadyGovernor(g);
        } else if (kind == ProposalKind.REMOVE_GOVERNOR) {
            address g = abi.decode(data, (address));
            if (!_isGovernor[g]) revert ConsortiumNotGovernor(g);
            if (_threshold > _governors.length - 1)
                revert ConsortiumInvalidThreshold(_threshold, _governors.length - 1);
        } else if (kind == ProposalKind.REPLACE_ADMIN) {
            (uint32 org, address admin, address[] memory keep) = abi.decode(data, (uint32, address, address[]));
            _known(org);
            if (admin == address(0)) revert ConsortiumZeroAddress();
            uint32 adminOrg = _accountOf[admin].org;
            if (adminOrg != 0 && adminOrg != org) revert ConsortiumAccountTaken(admin, adminOrg);
            if (keep.length > MAX_ACCOUNTS) revert ConsortiumTooManyAccounts(org, MAX_ACCOUNTS);
        } else {
            // Registry proposals: the registry checks its own arguments when the proposal executes.
            address registry = abi.decode(data, (address));
            if (!_isCache[registry]) revert ConsortiumUnknownRegistry(registry);
        }
    }

    function _execute(ProposalKind kind, bytes memory data, uint256 proposalId) private {
        if (kind == ProposalKind.ADMIT) {
            (string memory legalId, string memory name, uint16 roles, bytes32 key, address admin) = abi.decode(
                data,
                (string, string, uint16, bytes32, address)
            );
            _admit(legalId, name, roles, key, admin, proposalId);
        } else if (kind == ProposalKind.SUSPEND || kind == ProposalKind.REINSTATE) {
            uint32 org = abi.decode(data, (uint32));
            bool suspend = kind == ProposalKind.SUSPEND;
            _orgRecords[org].suspended = suspend;
            if (suspend) emit OrganisationSuspended(org, proposalId);
            else emit OrganisationReinstated(org, proposalId);
            _pushOrganisation(org);
        } else if (kind == ProposalKind.GRANT_ROLE || kind == ProposalKind.REVOKE_ROLE) {
            (uint32 org, uint8 role) = abi.decode(data, (uint32, uint8));
            OrgRecord storage rec = _orgRecords[org];
            uint16 roles = rec.roles ^ (uint16(1) << role); // _check proved the bit is in the right state
            rec.roles = roles;
            if (kind == ProposalKind.GRANT_ROLE) emit RoleGranted(org, role, roles, proposalId);
            else emit RoleRevoked(org, role, roles, proposalId);
            _pushOrganisation(org);
        } else if (kind == ProposalKind.CHANGE_THRESHOLD) {
            _setThreshold(abi.decode(data, (uint256)), proposalId);
        } else if (kind == ProposalKind.ADD_GOVERNOR) {
            _addGovernor(abi.decode(data, (address)), proposalId);
        } else if (kind == ProposalKind.REPLACE_ADMIN) {
            _replaceAdmin(data);
        } else if (kind >= ProposalKind.REGISTER_SCHEMA) {
            _executeOnRegistry(kind, data);
        } else {
            address g = abi.decode(data, (address));
            _isGovernor[g] = false;
            uint256 last = _governors.length - 1;
            for (uint256 i = 0; i <= last; ++i) {
                if (_governors[i] == g) {
                    _governors[i] = _governors[last];
                    break;
                }
            }
            _governors.pop();
            emit GovernorRemoved(g, proposalId);
        }
    }

    /// @dev The attestation-registry proposals: `_check` proved the registry is one of the attached caches.
    function _executeOnRegistry(ProposalKind kind, bytes memory data) private {
        if (kind == ProposalKind.REGISTER_SCHEMA) {
            (address registry, SchemaRecord memory record) = abi.decode(data, (address, SchemaRecord));
            IAttestationRegistry(registry).registerSchema(record);
        } else if (kind == ProposalKind.SET_SCHEMA_ACTIVE) {
            (address registry, bytes32 schemaId, bool active) = abi.decode(data, (address, bytes32, bool));
            IAttestationRegistry(registry).setSchemaActive(schemaId, active);
        } else {
            (address registry, uint32 agency, bytes32 schemaId, address[] memory signers, uint8 k) = abi.decode(
                data,
                (address, uint32, bytes32, address[], uint8)
            );
            IAttestationRegistry(registry).setReportSigners(agency, schemaId, signers, k);
        }
    }

    /// @dev Recovery from a stolen admin key: every account of the organisation leaves except the new admin and
    ///      the listed accounts to keep, the new admin joins if it is not yet a member, and takes over. Whatever
    ///      the thief did meanwhile (accounts added, the stolen key removed or handed the admin role) cannot
    ///      make the recovery fail or survive it: a listed account that is no longer a member is passed over.
    ///      Works on a suspended organisation too (recovery is no new business). At most MAX_ACCOUNTS loops.
    function _replaceAdmin(bytes memory data) private {
        (uint32 org, address admin, address[] memory keep) = abi.decode(data, (uint32, address, address[]));
        OrgRecord storage rec = _orgRecords[org];
        emit AdminChanged(org, rec.admin, admin);
        rec.admin = admin;
        address[] storage accounts = _accounts[org];
        for (uint256 i = accounts.length; i > 0; --i) {
            address account = accounts[i - 1];
            if (account != admin && !_listed(keep, account)) _unlinkAccount(org, account);
        }
        if (_accountOf[admin].org == 0) _linkAccount(org, admin, rec);
    }

    function _listed(address[] memory list, address account) private pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) if (list[i] == account) return true;
        return false;
    }

    function _addGovernor(address g, uint256 proposalId) private {
        if (g == address(0)) revert ConsortiumZeroAddress();
        if (_isGovernor[g]) revert ConsortiumAlreadyGovernor(g);
        _isGovernor[g] = true;
        _governors.push(g);
        emit GovernorAdded(g, proposalId);
    }

    function _setThreshold(uint256 t, uint256 proposalId) private {
        if (t == 0 || t > _governors.length) revert ConsortiumInvalidThreshold(t, _governors.length);
        emit ThresholdChanged(_threshold, t, proposalId);
        _threshold = t;
    }

    // ----------------------------------------------------------------------------------------------
    // Organisations
    // ----------------------------------------------------------------------------------------------

    function _checkAdmit(string memory legalId, uint16 roles, address admin) private view {
        uint32 existing = _orgByLegalId[keccak256(bytes(legalId))];
        if (existing != 0) revert ConsortiumDuplicateLegalId(legalId, existing);
        if (roles & ~_ALL_ROLES != 0) revert ConsortiumInvalidRole(roles);
        if (admin == address(0)) revert ConsortiumZeroAddress();
        if (_accountOf[admin].org != 0) revert ConsortiumAccountTaken(admin, _accountOf[admin].org);
    }

    function _admit(
        string memory legalId,
        string memory name,
        uint16 roles,
        bytes32 key,
        address admin,
        uint256 proposalId
    ) private returns (uint32 org) {
        org = ++_orgCount;
        OrgRecord storage rec = _orgRecords[org];
        rec.roles = roles;
        rec.admin = admin;
        rec.admittedAt = uint64(block.timestamp);
        rec.encryptionKey = key;
        rec.legalId = legalId;
        rec.name = name;
        _orgByLegalId[keccak256(bytes(legalId))] = org;
        emit OrganisationAdmitted(org, legalId, name, roles, key, admin, proposalId);
        uint256 n = _caches.length;
        for (uint256 i = 0; i < n; ++i) IMemberCache(_caches[i]).syncOrganisation(org, roles, false);
        _linkAccount(org, admin, rec);
    }

    function _known(uint32 org) private view returns (OrgRecord storage rec) {
        if (org == 0 || org > _orgCount) revert ConsortiumUnknownOrganisation(org);
        return _orgRecords[org];
    }

    /// @dev Checks that the caller is the admin of an existing organisation.
    function _asAdmin(uint32 org) private view returns (OrgRecord storage rec) {
        rec = _known(org);
        if (rec.admin != msg.sender) revert ConsortiumNotOrgAdmin(org, msg.sender);
    }

    /// @inheritdoc IConsortium
    function addAccount(uint32 org, address account) external {
        OrgRecord storage rec = _asAdmin(org);
        if (rec.suspended) revert ConsortiumOrganisationSuspended(org);
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (_accountOf[account].org != 0) revert ConsortiumAccountTaken(account, _accountOf[account].org);
        _linkAccount(org, account, rec);
    }

    function _linkAccount(uint32 org, address account, OrgRecord storage rec) private {
        address[] storage accounts = _accounts[org];
        if (accounts.length >= MAX_ACCOUNTS) revert ConsortiumTooManyAccounts(org, MAX_ACCOUNTS);
        accounts.push(account);
        _accountOf[account] = AccountRecord(org, uint32(accounts.length)); // at most MAX_ACCOUNTS
        emit AccountAdded(org, account, msg.sender);
        uint256 n = _caches.length;
        for (uint256 i = 0; i < n; ++i) IMemberCache(_caches[i]).syncMember(account, org, rec.roles, rec.suspended);
    }

    /// @inheritdoc IConsortium
    function removeAccount(uint32 org, address account) external {
        OrgRecord storage rec = _asAdmin(org);
        if (_accountOf[account].org != org) revert ConsortiumAccountNotMember(org, account);
        if (account == rec.admin) revert ConsortiumAccountIsAdmin(org, account);
        _unlinkAccount(org, account);
    }

    /// @dev Takes a member account out of its organisation and every cache (the caller checked membership).
    function _unlinkAccount(uint32 org, address account) private {
        address[] storage accounts = _accounts[org];
        uint256 index = _accountOf[account].indexPlusOne - 1;
        address last = accounts[accounts.length - 1];
        accounts[index] = last;
        _accountOf[last].indexPlusOne = uint32(index + 1);
        accounts.pop();
        delete _accountOf[account];
        emit AccountRemoved(org, account, msg.sender);
        uint256 n = _caches.length;
        for (uint256 i = 0; i < n; ++i) IMemberCache(_caches[i]).syncMember(account, 0, 0, false);
    }

    /// @inheritdoc IConsortium
    function setAdmin(uint32 org, address admin) external {
        OrgRecord storage rec = _asAdmin(org);
        if (rec.suspended) revert ConsortiumOrganisationSuspended(org);
        if (_accountOf[admin].org != org || admin == address(0)) revert ConsortiumAccountNotMember(org, admin);
        emit AdminChanged(org, rec.admin, admin);
        rec.admin = admin;
    }

    /// @inheritdoc IConsortium
    function setEncryptionKey(uint32 org, bytes32 encryptionKey) external {
        OrgRecord storage rec = _asAdmin(org);
        if (rec.suspended) revert ConsortiumOrganisationSuspended(org);
        rec.encryptionKey = encryptionKey;
        emit EncryptionKeyChanged(org, encryptionKey);
    }

    /// @inheritdoc IConsortium
    function addNode(uint32 org, string calldata enodeId) external {
        OrgRecord storage rec = _asAdmin(org);
        if (rec.suspended) revert ConsortiumOrganisationSuspended(org);
        bytes32 h = keccak256(bytes(enodeId));
        if (_nodeOrg[h] != 0) revert ConsortiumNodeConflict(h, _nodeOrg[h]);
        if (rec.nodeCount >= MAX_NODES) revert ConsortiumTooManyNodes(org, MAX_NODES);
        _nodeOrg[h] = org;
        rec.nodeCount += 1;
        emit NodeAdded(org, h, enodeId);
    }

    /// @inheritdoc IConsortium
    function removeNode(uint32 org, string calldata enodeId) external {
        OrgRecord storage rec = _asAdmin(org);
        bytes32 h = keccak256(bytes(enodeId));
        if (_nodeOrg[h] != org) revert ConsortiumNodeConflict(h, _nodeOrg[h]);
        delete _nodeOrg[h];
        rec.nodeCount -= 1;
        emit NodeRemoved(org, h);
    }

    /// @dev Pushes an organisation's roles and suspension, and every one of its accounts, to every cache.
    function _pushOrganisation(uint32 org) private {
        OrgRecord storage rec = _orgRecords[org];
        uint16 roles = rec.roles;
        bool suspended = rec.suspended;
        address[] storage accounts = _accounts[org];
        uint256 n = _caches.length;
        uint256 m = accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            IMemberCache cache = IMemberCache(_caches[i]);
            cache.syncOrganisation(org, roles, suspended);
            for (uint256 j = 0; j < m; ++j) cache.syncMember(accounts[j], org, roles, suspended);
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function organisation(uint32 org) external view returns (Organisation memory o) {
        if (org == 0 || org > _orgCount) return o;
        OrgRecord storage rec = _orgRecords[org];
        o = Organisation({
            id: org,
            roles: rec.roles,
            suspended: rec.suspended,
            accountCount: uint8(_accounts[org].length), // at most MAX_ACCOUNTS
            admin: rec.admin,
            admittedAt: rec.admittedAt,
            encryptionKey: rec.encryptionKey,
            legalId: rec.legalId,
            name: rec.name
        });
    }

    /// @inheritdoc IConsortium
    function orgOf(address account) external view returns (uint32) {
        return _accountOf[account].org;
    }

    /// @inheritdoc IConsortium
    function accountsOf(uint32 org) external view returns (address[] memory) {
        return _accounts[org];
    }

    /// @inheritdoc IConsortium
    function organisationCount() external view returns (uint32) {
        return _orgCount;
    }

    /// @inheritdoc IConsortium
    function isGovernor(address account) external view returns (bool) {
        return _isGovernor[account];
    }

    /// @inheritdoc IConsortium
    function governors() external view returns (address[] memory) {
        return _governors;
    }

    /// @inheritdoc IConsortium
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        ProposalRecord storage p = _proposals[proposalId];
        return Proposal(p.kind, p.executed, p.approvals, p.proposer, p.createdAt, p.data);
    }

    /// @inheritdoc IConsortium
    function hasApproved(uint256 proposalId, address governor) external view returns (bool) {
        return _approved[proposalId][governor];
    }

    /// @inheritdoc IConsortium
    function caches() external view returns (address[] memory) {
        return _caches;
    }

    /// @inheritdoc IConsortium
    function transactionAllowed(
        address sender,
        address,
        uint256,
        uint256,
        uint256,
        bytes calldata
    ) external view returns (bool) {
        return _isGovernor[sender] || _accountOf[sender].org != 0 || (sender == _deployer && !_sealed);
    }

    /// @inheritdoc IConsortium
    function connectionAllowed(string calldata enodeId, string calldata, uint16) external view returns (bool) {
        return _nodeOrg[keccak256(bytes(enodeId))] != 0;
    }
}
