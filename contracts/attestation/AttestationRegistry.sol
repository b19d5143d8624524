// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {MemberCache} from "../consortium/MemberCache.sol";
import {SchemaRecord, AttestationRequest, Attestation, Report, ReportAction} from "../types/AttestationTypes.sol";

/// @title Attestation registry (see {IAttestationRegistry})
/// @notice Schemas, attestations, recognitions and k-of-n agency reports. Membership and roles come from the
///         local {MemberCache}; an attestation stays effective only while its attester organisation holds one
///         of the schema's roles (suspension alone does not void an agency's past facts or holds).
///         Administration (schemas, signer sets) belongs to the Consortium, which calls in only to execute an
///         approved proposal; the deployer holds it until it seals the bootstrap.
contract AttestationRegistry is IAttestationRegistry, MemberCache, EIP712 {
    /// @inheritdoc IAttestationRegistry
    bytes32 public constant REPORT_TYPEHASH = keccak256(
        "Report(uint32 agency,uint8 action,bytes32 target,bytes32 schema,bytes32 subject,bytes32 sourceId,"
        "uint64 sequence,bytes32 payloadHash,uint64 deadline)"
    );

    /// @inheritdoc IAttestationRegistry
    bytes32 public constant SIGNER_SET_CHANGE_TYPEHASH = keccak256(
        "SignerSetChange(uint32 agency,bytes32 schema,address[] signers,uint8 threshold,uint32 epoch,"
        "uint64 deadline)"
    );

    /// @notice Most unrevoked attestations a revocable schema keeps per subject, so that the release gate's
    ///         walk over them is bounded whatever happens (facts are never revoked and are walked newest first,
    ///         stopping at the first too old to count).
    uint32 public constant MAX_UNREVOKED = 64;
    /// @notice Most unrevoked attestations one organisation may keep on one (subject, revocable schema).
    uint32 public constant MAX_UNREVOKED_PER_ATTESTER = 8;

    /// @dev First slot packs every flag a check needs; the strings follow and are read only by {schema}.
    struct SchemaState {
        bool exists;
        bool active;
        bool revocable;
        bool expiring;
        bool reportsOnly;
        bool permanent;
        uint16 attesterRoles;
        uint8 requiredRecognitions;
        string name;
        string definition;
    }

    /// @dev Five slots: schema, subject, reference, packed facts, data hash. Storing the data itself would
    ///      cost a slot per 32 bytes; the event carries it and the hash pins it. `slot` is the position in the
    ///      subject's unrevoked set plus one while a revocable attestation is unrevoked (facts never leave the
    ///      set, so they need no position), packed into the fourth slot's last 16 bits.
    struct StoredAttestation {
        bytes32 schemaId;
        bytes32 subject;
        bytes32 refUID;
        uint32 attester;
        uint64 time;
        uint64 expirationTime;
        uint64 revocationTime;
        uint16 recognitions;
        uint16 slot;
        bytes32 dataHash;
    }

    /// @dev Per (subject, schema): how many attestations were ever made (part of each uid) and how many are
    ///      unrevoked; the unrevoked uids themselves are in `_unrevoked[key][0 .. live)`.
    struct SubjectCounts {
        uint32 total;
        uint32 live;
    }

    /// @dev A signer is registered for (agency, schema) when its recorded epoch equals the set's epoch, so
    ///      replacing a set needs no loop to clear the old signers.
    struct SignerSet {
        uint8 threshold;
        uint32 epoch;
        address[] signers;
    }

    /// @dev May administer schemas and signer sets until it seals (so that deployment needs no vote).
    address private _bootstrapper;

    mapping(bytes32 schemaId => SchemaState) private _schemas;
    mapping(bytes32 uid => StoredAttestation) private _attestations;
    mapping(bytes32 pairKey => SubjectCounts) private _counts;
    mapping(bytes32 pairKey => mapping(uint256 index => bytes32 uid)) private _unrevoked;
    mapping(bytes32 uid => mapping(uint32 org => bool)) private _recognisedBy;
    mapping(bytes32 setKey => SignerSet) private _signerSets;
    mapping(bytes32 setKey => mapping(address signer => uint32 epoch)) private _signerEpoch;
    mapping(bytes32 sourceKey => bytes32 uid) private _reportUids;
    mapping(bytes32 sequenceKey => uint64 sequence) private _lastSequence;

    /// @param consortium_ The Consortium that owns membership (it pushes members into this cache) and executes
    ///        the governance proposals that administer schemas and signer sets.
    constructor(address consortium_) MemberCache(consortium_) EIP712("PortLedger AttestationRegistry", "2") {
        _bootstrapper = msg.sender;
    }

    // ------------------------------------------------------------------ schemas

    /// @inheritdoc IAttestationRegistry
    function registerSchema(SchemaRecord calldata record) external returns (bytes32 schemaId) {
        _checkAdmin();
        schemaId = _schemaId(record);
        if (_schemas[schemaId].exists) revert AttestationSchemaExists(schemaId);
        if (record.attesterRoles == 0 || bytes(record.definition).length == 0) {
            revert AttestationSchemaInvalid(schemaId);
        }
        _schemas[schemaId] = SchemaState({
            exists: true,
            active: true,
            revocable: record.revocable,
            expiring: record.expiring,
            reportsOnly: record.reportsOnly,
            permanent: record.permanent,
            attesterRoles: record.attesterRoles,
            requiredRecognitions: record.requiredRecognitions,
            name: record.name,
            definition: record.definition
        });
        emit SchemaRegistered(schemaId, record.name, record, msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function sealSchemaBootstrap() external {
        if (msg.sender != _bootstrapper) revert AttestationNotSchemaAdmin(msg.sender);
        delete _bootstrapper;
        emit SchemaBootstrapSealed(msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function setSchemaActive(bytes32 schemaId, bool active) external {
        if (msg.sender != consortium) revert AttestationNotSchemaAdmin(msg.sender);
        SchemaState storage s = _schemas[schemaId];
        if (!s.exists) revert AttestationSchemaInactive(schemaId);
        if (!active && s.permanent) revert AttestationSchemaPermanent(schemaId);
        s.active = active;
        emit SchemaActiveChanged(schemaId, active, msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function schema(bytes32 schemaId) external view returns (SchemaRecord memory record, bool active) {
        SchemaState storage s = _schemas[schemaId];
        record = SchemaRecord(
            s.name,
            s.definition,
            s.revocable,
            s.expiring,
            s.reportsOnly,
            s.permanent,
            s.attesterRoles,
            s.requiredRecognitions
        );
        active = s.exists && s.active;
    }

    /// @inheritdoc IAttestationRegistry
    function schemaIdOf(SchemaRecord calldata record) external pure returns (bytes32) {
        return _schemaId(record);
    }

    // ------------------------------------------------------------------ attestations

    /// @inheritdoc IAttestationRegistry
    function attest(AttestationRequest calldata request) external returns (bytes32 uid) {
        SchemaState storage s = _directSchema(request.schemaId);
        uint32 org = _accreditedCaller(request.schemaId, s.attesterRoles);
        uid = _attest(s, request.schemaId, request.subject, request.refUID, request.data, org);
    }

    /// @inheritdoc IAttestationRegistry
    function revoke(bytes32 uid) external {
        _revokeOwn(uid);
    }

    /// @inheritdoc IAttestationRegistry
    function replace(bytes32 uid, AttestationRequest calldata request) external returns (bytes32 newUid) {
        StoredAttestation storage old = _attestations[uid];
        if (old.schemaId != request.schemaId || old.subject != request.subject) {
            if (old.time == 0) revert AttestationUnknown(uid);
            revert AttestationReplacementMismatch(uid);
        }
        SchemaState storage s = _directSchema(request.schemaId);
        uint32 org = _revokeOwn(uid);
        newUid = _attest(s, request.schemaId, request.subject, uid, request.data, org);
        emit Replaced(uid, newUid);
    }

    /// @inheritdoc IAttestationRegistry
    function recognise(bytes32 uid) external {
        StoredAttestation storage a = _attestations[uid];
        if (a.time == 0) revert AttestationUnknown(uid);
        (uint32 org, uint16 roles) = _activeMember(msg.sender);
        SchemaState storage s = _schemas[a.schemaId];
        if (org == 0 || org == a.attester || roles & s.attesterRoles == 0 || _recognisedBy[uid][org]) {
            revert AttestationCannotRecognise(uid, org);
        }
        _recognisedBy[uid][org] = true;
        uint16 count = a.recognitions + 1;
        a.recognitions = count;
        emit Recognised(uid, org, count);
    }

    /// @inheritdoc IAttestationRegistry
    function attestation(bytes32 uid) external view returns (Attestation memory) {
        StoredAttestation storage a = _attestations[uid];
        if (a.time == 0) return Attestation(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return
            Attestation({
                uid: uid,
                schemaId: a.schemaId,
                subject: a.subject,
                refUID: a.refUID,
                attester: a.attester,
                time: a.time,
                expirationTime: a.expirationTime,
                revocationTime: a.revocationTime,
                recognitions: a.recognitions,
                dataHash: a.dataHash
            });
    }

    /// @inheritdoc IAttestationRegistry
    function isEffective(bytes32 uid) public view returns (bool) {
        StoredAttestation storage a = _attestations[uid];
        return _effective(a, _schemas[a.schemaId]);
    }

    /// @inheritdoc IAttestationRegistry
    function latestEffective(bytes32 subject, bytes32 schemaId) external view returns (bytes32 found) {
        SchemaState storage s = _schemas[schemaId];
        bytes32 key = _pairKey(subject, schemaId);
        uint256 n = _counts[key].live;
        uint64 bestTime = 0;
        for (uint256 i = n; i > 0;) {
            // i > 0 is checked by the loop condition, so i - 1 cannot underflow.
            unchecked {
                --i;
            }
            bytes32 uid = _unrevoked[key][i];
            StoredAttestation storage a = _attestations[uid];
            if (found != bytes32(0) && a.time <= bestTime) continue;
            if (!_effective(a, s)) continue;
            found = uid;
            bestTime = a.time;
            // Facts are never revoked, so their set is in time order: the first effective one from the end
            // is the latest.
            if (!s.revocable) break;
        }
    }

    /// @inheritdoc IAttestationRegistry
    function effectiveSince(bytes32 subject, bytes32 schemaId, uint64 since) external view returns (bytes32) {
        SchemaState storage s = _schemas[schemaId];
        bytes32 key = _pairKey(subject, schemaId);
        uint256 n = _counts[key].live;
        for (uint256 i = n; i > 0;) {
            // i > 0 is checked by the loop condition, so i - 1 cannot underflow.
            unchecked {
                --i;
            }
            bytes32 uid = _unrevoked[key][i];
            StoredAttestation storage a = _attestations[uid];
            if (a.time < since) {
                // A fact set is in time order: everything before this one is older still.
                if (!s.revocable) return bytes32(0);
                continue;
            }
            if (_effective(a, s)) return uid;
        }
        return bytes32(0);
    }

    /// @inheritdoc IAttestationRegistry
    function attestationCount(bytes32 subject, bytes32 schemaId) external view returns (uint256) {
        return _counts[_pairKey(subject, schemaId)].total;
    }

    /// @inheritdoc IAttestationRegistry
    function unrevokedCount(bytes32 subject, bytes32 schemaId) external view returns (uint256) {
        return _counts[_pairKey(subject, schemaId)].live;
    }

    // ------------------------------------------------------------------ k-of-n reports

    /// @inheritdoc IAttestationRegistry
    function setReportSigners(uint32 agency, bytes32 schemaId, address[] calldata signers, uint8 threshold) external {
        _checkAdmin();
        SchemaState storage s = _activeSchema(schemaId);
        if (_orgs[agency].roles & s.attesterRoles == 0) revert AttestationAgencyNotAccredited(agency, schemaId);
        _installSigners(agency, schemaId, signers, threshold);
    }

    /// @inheritdoc IAttestationRegistry
    function changeReportSigners(
        uint32 agency,
        bytes32 schemaId,
        address[] calldata signers,
        uint8 threshold,
        uint64 deadline,
        bytes[] calldata signatures
    ) external {
        SchemaState storage s = _activeSchema(schemaId);
        if (deadline < block.timestamp) revert AttestationSignerChangeExpired(deadline, block.timestamp);
        _requireAgency(agency, schemaId, s.attesterRoles);
        bytes32 key = _setKey(agency, schemaId);
        bytes32 digest = _signerSetChangeDigest(agency, schemaId, signers, threshold, _signerSets[key].epoch, deadline);
        _checkSignatures(agency, schemaId, digest, signatures);
        _installSigners(agency, schemaId, signers, threshold);
    }

    /// @inheritdoc IAttestationRegistry
    function reportSigners(
        uint32 agency,
        bytes32 schemaId
    ) external view returns (address[] memory signers, uint8 threshold) {
        SignerSet storage set = _signerSets[_setKey(agency, schemaId)];
        return (set.signers, set.threshold);
    }

    /// @inheritdoc IAttestationRegistry
    function signerEpoch(uint32 agency, bytes32 schemaId) external view returns (uint32) {
        return _signerSets[_setKey(agency, schemaId)].epoch;
    }

    /// @inheritdoc IAttestationRegistry
    function submitReport(
        Report calldata report,
        bytes calldata data,
        bytes[] calldata signatures
    ) external returns (bytes32 uid) {
        SchemaState storage s = _activeSchema(report.schema);
        if (report.deadline < block.timestamp) revert AttestationReportExpired(report.deadline, block.timestamp);
        uint32 agency = report.agency;
        _requireAgency(agency, report.schema, s.attesterRoles);
        _checkFresh(report);
        address[] memory signers = _checkSignatures(agency, report.schema, _reportDigest(report, data), signatures);
        if (report.action == ReportAction.ATTEST) {
            uid = _attest(s, report.schema, report.subject, report.target, data, agency);
        } else {
            uid = report.target;
            StoredAttestation storage a = _attestations[uid];
            if (
                a.time == 0 ||
                a.attester != agency ||
                a.schemaId != report.schema ||
                a.subject != report.subject ||
                a.revocationTime != 0 ||
                !s.revocable
            ) revert AttestationReportTargetInvalid(uid);
            _revoke(uid, a);
        }
        _reportUids[_sourceKey(agency, report.schema, report.sourceId)] = uid;
        _lastSequence[_sequenceKey(agency, report.schema, report.subject)] = report.sequence;
        emit ReportAccepted(uid, agency, report.sourceId, report.action, report.sequence, signers);
    }

    /// @inheritdoc IAttestationRegistry
    function reportDigest(Report calldata report, bytes calldata data) external view returns (bytes32) {
        return _reportDigest(report, data);
    }

    /// @inheritdoc IAttestationRegistry
    function signerSetChangeDigest(
        uint32 agency,
        bytes32 schemaId,
        address[] calldata signers,
        uint8 threshold,
        uint32 epoch,
        uint64 deadline
    ) external view returns (bytes32) {
        return _signerSetChangeDigest(agency, schemaId, signers, threshold, epoch, deadline);
    }

    /// @inheritdoc IAttestationRegistry
    function reportAttestation(uint32 agency, bytes32 schemaId, bytes32 sourceId) external view returns (bytes32) {
        return _reportUids[_sourceKey(agency, schemaId, sourceId)];
    }

    /// @inheritdoc IAttestationRegistry
    function lastReportSequence(uint32 agency, bytes32 schemaId, bytes32 subject) external view returns (uint64) {
        return _lastSequence[_sequenceKey(agency, schemaId, subject)];
    }

    // ------------------------------------------------------------------ internals

    function _schemaId(SchemaRecord calldata r) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    r.name,
                    r.definition,
                    r.revocable,
                    r.expiring,
                    r.reportsOnly,
                    r.permanent,
                    r.attesterRoles,
                    r.requiredRecognitions
                )
            );
    }

    function _pairKey(bytes32 subject, bytes32 schemaId) private pure returns (bytes32) {
        return keccak256(abi.encode(subject, schemaId));
    }

    function _sourceKey(uint32 agency, bytes32 schemaId, bytes32 sourceId) private pure returns (bytes32) {
        return keccak256(abi.encode("source", agency, schemaId, sourceId));
    }

    function _sequenceKey(uint32 agency, bytes32 schemaId, bytes32 subject) private pure returns (bytes32) {
        return keccak256(abi.encode("sequence", agency, schemaId, subject));
    }

    function _setKey(uint32 agency, bytes32 schemaId) private pure returns (bytes32) {
        return keccak256(abi.encode(agency, schemaId));
    }

    /// @dev The deployer until it seals, or the Consortium executing an approved proposal.
    function _checkAdmin() private view {
        if (msg.sender != consortium && msg.sender != _bootstrapper) revert AttestationNotSchemaAdmin(msg.sender);
    }

    /// @dev Rejects a source id already accepted (a replay or a duplicate) and an out-of-order sequence.
    function _checkFresh(Report calldata report) private view {
        bytes32 accepted = _reportUids[_sourceKey(report.agency, report.schema, report.sourceId)];
        if (accepted != bytes32(0)) {
            revert AttestationSourceAlreadyAccepted(report.agency, report.schema, report.sourceId, accepted);
        }
        uint64 last = _lastSequence[_sequenceKey(report.agency, report.schema, report.subject)];
        if (report.sequence <= last) revert AttestationReportStale(report.sequence, last);
    }

    /// @dev The agency must exist, not be suspended and hold one of the schema's roles.
    function _requireAgency(uint32 agency, bytes32 schemaId, uint16 attesterRoles) private view {
        OrgState storage o = _orgs[agency];
        if (!o.exists || o.roles & attesterRoles == 0) revert AttestationAgencyNotAccredited(agency, schemaId);
        if (o.suspended) revert AttestationAgencySuspended(agency);
    }

    /// @dev The organisation an account acts for and its roles; (0, 0) when not an active member.
    function _activeMember(address account) private view returns (uint32 org, uint16 roles) {
        Member storage m = _members[account];
        if (m.org == 0 || m.suspended) return (0, 0);
        return (m.org, m.roles);
    }

    function _activeSchema(bytes32 schemaId) private view returns (SchemaState storage s) {
        s = _schemas[schemaId];
        if (!s.active) revert AttestationSchemaInactive(schemaId);
    }

    /// @dev An active schema that admits direct attestation, revocation and replacement.
    function _directSchema(bytes32 schemaId) private view returns (SchemaState storage s) {
        s = _activeSchema(schemaId);
        if (s.reportsOnly) revert AttestationSchemaReportsOnly(schemaId);
    }

    function _accreditedCaller(bytes32 schemaId, uint16 attesterRoles) private view returns (uint32 org) {
        uint16 roles;
        (org, roles) = _activeMember(msg.sender);
        if (org == 0 || roles & attesterRoles == 0) revert AttestationNotAttester(schemaId, msg.sender);
    }

    function _effective(StoredAttestation storage a, SchemaState storage s) private view returns (bool) {
        if (a.time == 0 || a.revocationTime != 0) return false;
        if (a.expirationTime != 0 && a.expirationTime <= block.timestamp) return false;
        if (!s.active) return false;
        if (_orgs[a.attester].roles & s.attesterRoles == 0) return false;
        return a.recognitions >= s.requiredRecognitions;
    }

    function _attest(
        SchemaState storage s,
        bytes32 schemaId,
        bytes32 subject,
        bytes32 refUID,
        bytes calldata data,
        uint32 org
    ) private returns (bytes32 uid) {
        if (refUID != bytes32(0) && _attestations[refUID].time == 0) revert AttestationUnknownReference(refUID);
        uint64 expirationTime = 0;
        if (s.expiring) {
            uint256 validUntil = data.length >= 32 ? uint256(bytes32(data[0:32])) : 0;
            if (validUntil <= block.timestamp || validUntil > type(uint64).max) {
                revert AttestationInvalidExpiry(schemaId, validUntil);
            }
            expirationTime = uint64(validUntil);
        }
        bytes32 key = _pairKey(subject, schemaId);
        SubjectCounts memory c = _counts[key];
        if (s.revocable && c.live >= MAX_UNREVOKED_PER_ATTESTER) _checkRoom(key, c.live, subject, schemaId, org);
        bytes32 dataHash = keccak256(data);
        // The count of earlier attestations of the pair makes the uid unique without a global counter.
        uid = keccak256(abi.encode(schemaId, subject, org, refUID, block.timestamp, dataHash, c.total));
        StoredAttestation storage a = _attestations[uid];
        a.schemaId = schemaId;
        a.subject = subject;
        a.refUID = refUID;
        a.attester = org;
        a.time = uint64(block.timestamp);
        a.expirationTime = expirationTime;
        a.dataHash = dataHash;
        if (s.revocable) a.slot = uint16(c.live + 1); // c.live < MAX_UNREVOKED here
        _unrevoked[key][c.live] = uid;
        _counts[key] = SubjectCounts(c.total + 1, c.live + 1);
        emit Attested(uid, schemaId, subject, org, refUID, expirationTime, data, msg.sender);
    }

    /// @dev A revocable pair's set is bounded in total and per attester; the per-attester count is taken by a
    ///      walk of the set, which only a pair already holding 8 unrevoked attestations pays for.
    function _checkRoom(bytes32 key, uint32 live, bytes32 subject, bytes32 schemaId, uint32 org) private view {
        if (live >= MAX_UNREVOKED) revert AttestationSubjectFull(subject, schemaId);
        uint256 own = 0;
        for (uint256 i = 0; i < live; ++i) {
            if (_attestations[_unrevoked[key][i]].attester == org) ++own;
        }
        if (own >= MAX_UNREVOKED_PER_ATTESTER) revert AttestationAttesterFull(subject, schemaId, org);
    }

    /// @dev Revokes `uid` if the caller acts for its attester and its schema is revocable and admits direct
    ///      revocation; returns the org.
    function _revokeOwn(bytes32 uid) private returns (uint32 org) {
        StoredAttestation storage a = _attestations[uid];
        if (a.time == 0) revert AttestationUnknown(uid);
        SchemaState storage s = _schemas[a.schemaId];
        if (s.reportsOnly) revert AttestationSchemaReportsOnly(a.schemaId);
        (org, ) = _activeMember(msg.sender);
        if (org == 0 || org != a.attester) revert AttestationNotOwnAttestation(uid, msg.sender);
        if (!s.revocable) revert AttestationIrrevocable(uid, a.schemaId);
        if (a.revocationTime != 0) revert AttestationAlreadyRevoked(uid, a.revocationTime);
        _revoke(uid, a);
    }

    /// @dev Marks `uid` revoked and takes it out of its subject's unrevoked set by swap-and-pop, so that no
    ///      later read walks over it.
    function _revoke(bytes32 uid, StoredAttestation storage a) private {
        a.revocationTime = uint64(block.timestamp);
        bytes32 key = _pairKey(a.subject, a.schemaId);
        SubjectCounts storage c = _counts[key];
        uint32 last = c.live - 1; // `a` is unrevoked, so the set holds at least it
        uint32 index = a.slot - 1; // revocable, so it has a position
        if (index != last) {
            bytes32 moved = _unrevoked[key][last];
            _unrevoked[key][index] = moved;
            _attestations[moved].slot = uint16(index + 1);
        }
        delete _unrevoked[key][last];
        c.live = last;
        a.slot = 0;
        emit Revoked(uid, a.schemaId, a.subject, msg.sender);
    }

    function _installSigners(uint32 agency, bytes32 schemaId, address[] calldata signers, uint8 threshold) private {
        if (threshold == 0 || threshold > signers.length) {
            revert AttestationInvalidSignerSet(schemaId, signers.length, threshold);
        }
        bytes32 key = _setKey(agency, schemaId);
        SignerSet storage set = _signerSets[key];
        uint32 epoch = set.epoch + 1;
        address previous = address(0);
        for (uint256 i = 0; i < signers.length; ++i) {
            address signer = signers[i];
            // Ascending order rejects zero (not above address(0)) and duplicates in one comparison.
            if (signer <= previous) revert AttestationInvalidSignerSet(schemaId, signers.length, threshold);
            _signerEpoch[key][signer] = epoch;
            previous = signer;
        }
        set.threshold = threshold;
        set.epoch = epoch;
        set.signers = signers;
        emit ReportSignersSet(agency, schemaId, signers, threshold, epoch);
    }

    function _reportDigest(Report calldata report, bytes calldata data) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        REPORT_TYPEHASH,
                        report.agency,
                        report.action,
                        report.target,
                        report.schema,
                        report.subject,
                        report.sourceId,
                        report.sequence,
                        keccak256(data),
                        report.deadline
                    )
                )
            );
    }

    function _signerSetChangeDigest(
        uint32 agency,
        bytes32 schemaId,
        address[] calldata signers,
        uint8 threshold,
        uint32 epoch,
        uint64 deadline
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        SIGNER_SET_CHANGE_TYPEHASH,
                        agency,
                        schemaId,
                        keccak256(abi.encodePacked(signers)), // EIP-712: an array is the hash of its words
                        threshold,
                        epoch,
                        deadline
                    )
                )
            );
    }

    /// @dev Recovers every signature and checks it against the agency's current set: every signature given
    ///      must be valid and of the set (an extra invalid one fails the whole report). Requiring ascending
    ///      signer addresses makes the duplicate check one comparison per signature instead of a nested loop.
    function _checkSignatures(
        uint32 agency,
        bytes32 schemaId,
        bytes32 digest,
        bytes[] calldata signatures
    ) private view returns (address[] memory signers) {
        bytes32 key = _setKey(agency, schemaId);
        SignerSet storage set = _signerSets[key];
        uint8 threshold = set.threshold;
        if (threshold == 0) revert AttestationNoSignerSet(agency, schemaId);
        if (signatures.length < threshold) {
            revert AttestationReportBelowThreshold(agency, schemaId, signatures.length, threshold);
        }
        uint32 epoch = set.epoch;
        signers = new address[](signatures.length);
        address previous = address(0);
        for (uint256 i = 0; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert AttestationReportInvalidSignature(i);
            if (_signerEpoch[key][signer] != epoch) revert AttestationReportUnknownSigner(agency, schemaId, signer);
            if (signer == previous) revert AttestationReportDuplicateSigner(signer);
            if (signer < previous) revert AttestationReportSignersUnordered(previous, signer);
            signers[i] = signer;
            previous = signer;
        }
    }
}
