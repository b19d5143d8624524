// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IContainerRelease} from "../interfaces/IContainerRelease.sol";
import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {MemberCache} from "../consortium/MemberCache.sol";
import {Bill, BillKind, BillStatus} from "../types/BillTypes.sol";
import {Ids} from "../types/Ids.sol";
import {SchemaRecord} from "../types/AttestationTypes.sol";
import {ReleaseRight, ReleaseStatus, ReleaseTerms, EquipmentInterchange} from "../types/ReleaseTypes.sol";
import {Role, RoleSet} from "../types/Roles.sol";
import {ContainerNumbers} from "./ContainerNumbers.sol";
import {IBillView} from "./IBillView.sol";
import {BillPacking} from "../bill/BillPacking.sol";

/// @title Container release rights and EIRs (see {IContainerRelease})
/// @notice Title rules stay in the bill registry and agency facts in the attestation registry; this contract
///         reads both at grant and gate-out and stores only the right itself (one slot, plus a code hash when a
///         release code is set).
contract ContainerRelease is IContainerRelease, MemberCache {
    /// @notice The bill of lading registry.
    IBillView public immutable bills;
    /// @notice The attestation registry holding customs releases and holds.
    IAttestationRegistry public immutable attestations;
    /// @notice Schema id of `CUSTOMS_RELEASE`.
    bytes32 public immutable customsReleaseSchema;
    /// @notice Schema id of `CUSTOMS_HOLD`.
    bytes32 public immutable customsHoldSchema;

    /// @dev Records the holder may write stop this far below the counter's end, so that the carrier's
    ///      revocation and the terminal's gate-out and gate-in always find a step (a holder cannot lock a
    ///      right by nominating or setting codes 65,535 times).
    uint16 private constant _RESERVED_STEPS = 3;
    /// @dev The records after a grant that must always fit: the gate-out and the gate-in.
    uint16 private constant _GATE_STEPS = 2;

    mapping(bytes32 rightId => ReleaseRight) private _rights;
    mapping(bytes32 rightId => bytes32 codeHash) private _codeHashes;

    /// @param consortium_ The Consortium that owns membership (it pushes members into this cache).
    /// @param bills_ The BillOfLadingRegistry.
    /// @param attestations_ The AttestationRegistry.
    /// @param customsReleaseSchema_ The registered `CUSTOMS_RELEASE` schema id.
    /// @param customsHoldSchema_ The registered `CUSTOMS_HOLD` schema id.
    constructor(
        address consortium_,
        address bills_,
        address attestations_,
        bytes32 customsReleaseSchema_,
        bytes32 customsHoldSchema_
    ) MemberCache(consortium_) {
        // The gate's schemas must be permanent: no vote can ever switch holds off (docs/design.md §1.4).
        _requirePermanent(attestations_, customsReleaseSchema_);
        _requirePermanent(attestations_, customsHoldSchema_);
        bills = IBillView(bills_);
        attestations = IAttestationRegistry(attestations_);
        customsReleaseSchema = customsReleaseSchema_;
        customsHoldSchema = customsHoldSchema_;
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc IContainerRelease
    function grant(
        uint256 billId,
        string[] calldata containerNumbers,
        bytes32[][] calldata proofs,
        ReleaseTerms calldata terms
    ) external returns (bytes32[] memory rightIds) {
        if (proofs.length != containerNumbers.length) {
            revert ReleaseProofCountMismatch(containerNumbers.length, proofs.length);
        }
        (ReleaseRight memory template, bytes24 root) = _grantTemplate(billId, terms);
        rightIds = new bytes32[](containerNumbers.length);
        for (uint256 i = 0; i < containerNumbers.length; ++i) {
            string calldata number = containerNumbers[i];
            if (bytes24(MerkleProof.processProofCalldata(proofs[i], Ids.containerLeaf(number))) != root) {
                revert ReleaseContainerNotOnBill(billId, number);
            }
            rightIds[i] = _grantOne(billId, number, template, terms);
        }
    }

    /// @inheritdoc IContainerRelease
    function nominate(bytes32 rightId, uint32 nominee) external {
        ReleaseRight storage r = _granted(rightId);
        uint32 holder = r.holder;
        uint32 org = _activeOrg(msg.sender);
        if (org == 0 || org != holder) revert ReleaseNotHolder(rightId, msg.sender);
        OrgState storage n = _orgs[nominee];
        if (nominee == holder || !n.exists || n.suspended) revert ReleaseInvalidNominee(rightId, nominee);
        (bytes32 recordId, bytes32 previous) = _advance(r, rightId, _RESERVED_STEPS);
        r.holder = nominee;
        // A code chosen by the previous holder must not outlive its hold; the read avoids a needless write.
        if (_codeHashes[rightId] != bytes32(0)) delete _codeHashes[rightId];
        emit ReleaseNominated(rightId, recordId, previous, holder, nominee, msg.sender);
    }

    /// @inheritdoc IContainerRelease
    function setReleaseCode(bytes32 rightId, bytes32 codeHash) external {
        ReleaseRight storage r = _granted(rightId);
        uint32 org = _activeOrg(msg.sender);
        if (org == 0 || org != r.holder) revert ReleaseNotHolder(rightId, msg.sender);
        (bytes32 recordId, bytes32 previous) = _advance(r, rightId, _RESERVED_STEPS);
        _codeHashes[rightId] = codeHash;
        emit ReleaseCodeSet(rightId, recordId, previous, org, codeHash, msg.sender);
    }

    /// @inheritdoc IContainerRelease
    function revoke(bytes32 rightId) external {
        ReleaseRight storage r = _granted(rightId);
        uint32 org = _activeOrg(msg.sender);
        if (org == 0 || org != r.carrier) revert ReleaseNotRightCarrier(rightId, msg.sender);
        (bytes32 recordId, bytes32 previous) = _advance(r, rightId, 0);
        r.status = ReleaseStatus.REVOKED;
        if (_codeHashes[rightId] != bytes32(0)) delete _codeHashes[rightId];
        emit ReleaseRevoked(rightId, recordId, previous, org, msg.sender);
    }

    /// @inheritdoc IContainerRelease
    function gateOut(
        uint256 billId,
        string calldata containerNumber,
        uint32 haulier,
        bytes32 codeDigest,
        EquipmentInterchange calldata eir
    ) external {
        bytes32 rightId = _rightId(billId, containerNumber);
        (bytes32 customsRelease, bool byCode) = _checkReleaseReady(
            rightId,
            billId,
            containerNumber,
            haulier,
            codeDigest
        );
        _recordGateOut(rightId, billId, containerNumber, haulier, byCode, customsRelease, eir);
    }

    /// @inheritdoc IContainerRelease
    function gateIn(uint256 billId, string calldata containerNumber, EquipmentInterchange calldata eir) external {
        bytes32 rightId = _rightId(billId, containerNumber);
        ReleaseRight storage r = _rights[rightId];
        if (r.status != ReleaseStatus.GATED_OUT) revert ReleaseNotGatedOut(rightId, r.status);
        uint32 org = _activeOrgWith(msg.sender, Role.TERMINAL);
        if (org == 0 || (org != r.terminal && org != r.depot)) revert ReleaseNotTerminal(rightId, msg.sender);
        (bytes32 recordId, bytes32 previous) = _advance(r, rightId, 0);
        r.status = ReleaseStatus.GATED_IN;
        emit GatedIn(rightId, billId, recordId, previous, containerNumber, org, eir, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IContainerRelease
    function releaseRight(bytes32 rightId) external view returns (ReleaseRight memory) {
        return _rights[rightId];
    }

    /// @inheritdoc IContainerRelease
    function releaseCodeOf(bytes32 rightId) external view returns (bytes32) {
        return _codeHashes[rightId];
    }

    /// @inheritdoc IContainerRelease
    function rightIdOf(uint256 billId, string calldata containerNumber) external pure returns (bytes32) {
        return _rightId(billId, containerNumber);
    }

    /// @inheritdoc IContainerRelease
    function releaseCodeHash(bytes32 rightId, bytes32 codeDigest) public pure returns (bytes32) {
        return keccak256(abi.encode(rightId, codeDigest));
    }

    /// @inheritdoc IContainerRelease
    function lastRecord(bytes32 rightId) external view returns (bytes32) {
        uint16 step = _rights[rightId].step;
        return step == 0 ? bytes32(0) : _recordId(rightId, step);
    }

    // ------------------------------------------------------------------ internals

    function _rightId(uint256 billId, string calldata containerNumber) private pure returns (bytes32) {
        return keccak256(abi.encode(billId, Ids.containerSubject(containerNumber)));
    }

    function _recordId(bytes32 rightId, uint16 step) private pure returns (bytes32) {
        return keccak256(abi.encode(rightId, step));
    }

    /// @dev The organisation an account acts for; 0 when it is no member or its organisation is suspended.
    function _activeOrg(address account) private view returns (uint32) {
        Member storage m = _members[account];
        return m.suspended ? 0 : m.org;
    }

    /// @dev The organisation an account acts for if that organisation holds `role`; otherwise 0.
    function _activeOrgWith(address account, Role role) private view returns (uint32) {
        Member storage m = _members[account];
        return m.suspended || !RoleSet.has(m.roles, role) ? 0 : m.org;
    }

    /// @dev The organisation entitled to the cargo, or a revert when the bill is not releasable.
    function _grantee(uint256 billId, Bill memory b) private pure returns (uint32) {
        if (b.kind == BillKind.SWB) {
            if (b.status == BillStatus.ISSUED || b.status == BillStatus.ACCOMPLISHED) return b.holder;
        } else if (b.status == BillStatus.ACCOMPLISHED) {
            return b.prevPossessor;
        }
        revert ReleaseBillNotReleasable(billId, b.status);
    }

    /// @dev Checks the carrier, the bill and the terms of a grant; returns the right every container gets
    ///      and the bill's container root.
    function _grantTemplate(
        uint256 billId,
        ReleaseTerms calldata terms
    ) private view returns (ReleaseRight memory template, bytes24 root) {
        uint256 word;
        (word, root, ) = bills.releaseFacts(billId);
        Bill memory b = BillPacking.unpack(word);
        uint32 org = _activeOrgWith(msg.sender, Role.CARRIER);
        if (org == 0 || org != b.carrier) revert ReleaseNotCarrier(billId, msg.sender);
        uint32 grantee = _grantee(billId, b);
        _requireTerminal(terms.terminal);
        if (terms.depot != 0) _requireTerminal(terms.depot);
        if (terms.validUntil <= terms.validFrom || terms.validUntil <= block.timestamp) {
            revert ReleaseInvalidWindow(terms.validFrom, terms.validUntil);
        }
        template = ReleaseRight(
            org,
            grantee,
            terms.terminal,
            terms.depot,
            terms.validFrom,
            terms.validUntil,
            ReleaseStatus.GRANTED,
            0
        );
    }

    function _requirePermanent(address registry, bytes32 schemaId) private view {
        (SchemaRecord memory record, bool active) = IAttestationRegistry(registry).schema(schemaId);
        if (!active || !record.permanent) revert ReleaseSchemaNotPermanent(schemaId);
    }

    /// @dev A terminal or depot must be an active member organisation holding `TERMINAL`.
    function _requireTerminal(uint32 org) private view {
        OrgState storage t = _orgs[org];
        if (!t.exists || t.suspended || !RoleSet.has(t.roles, Role.TERMINAL)) revert ReleaseInvalidTerminal(org);
    }

    function _grantOne(
        uint256 billId,
        string calldata number,
        ReleaseRight memory template,
        ReleaseTerms calldata terms
    ) private returns (bytes32 rightId) {
        if (!ContainerNumbers.isValid(number)) revert ReleaseInvalidContainerNumber(number);
        rightId = _rightId(billId, number);
        ReleaseRight storage r = _rights[rightId];
        ReleaseStatus status = r.status;
        if (status != ReleaseStatus.NONE && status != ReleaseStatus.REVOKED) revert ReleaseRightExists(rightId, status);
        // Steps continue across a revocation so that a re-grant gets a fresh record id; a (re-)grant leaves
        // room for the gate-out and the gate-in, so a granted right can always be used and returned.
        if (r.step >= type(uint16).max - _GATE_STEPS) revert ReleaseTooManyRecords(rightId);
        uint16 step = r.step + 1;
        template.step = step;
        _rights[rightId] = template;
        emit ReleaseGranted(
            rightId,
            billId,
            _recordId(rightId, step),
            step == 1 ? bytes32(billId) : _recordId(rightId, step - 1),
            number,
            template.carrier,
            template.holder,
            terms
        );
    }

    function _granted(bytes32 rightId) private view returns (ReleaseRight storage r) {
        r = _rights[rightId];
        if (r.status != ReleaseStatus.GRANTED) revert ReleaseRightNotActive(rightId, r.status);
    }

    /// @dev Appends a record to the right's causal chain and returns (new record, previous record). A
    ///      writer that must not use up the counter passes the steps to leave for the others.
    function _advance(ReleaseRight storage r, bytes32 rightId, uint16 reserve) private returns (bytes32, bytes32) {
        uint16 step = r.step;
        if (step >= type(uint16).max - reserve) revert ReleaseTooManyRecords(rightId);
        r.step = step + 1;
        return (_recordId(rightId, step + 1), _recordId(rightId, step));
    }

    /// @dev Release-ready (docs/design.md §1.3), checked in the order of the interface's errors.
    function _checkReleaseReady(
        bytes32 rightId,
        uint256 billId,
        string calldata containerNumber,
        uint32 haulier,
        bytes32 codeDigest
    ) private view returns (bytes32 customsRelease, bool byCode) {
        ReleaseRight storage r = _granted(rightId);
        if (_activeOrgWith(msg.sender, Role.TERMINAL) != r.terminal) revert ReleaseNotTerminal(rightId, msg.sender);
        if (block.timestamp < r.validFrom || block.timestamp > r.validUntil) {
            revert ReleaseRightNotValid(rightId, r.validFrom, r.validUntil, block.timestamp);
        }
        (uint256 word, , uint64 issuedAt) = bills.releaseFacts(billId);
        _grantee(billId, BillPacking.unpack(word)); // the title must still be releasable
        customsRelease = _checkCustoms(billId, containerNumber, issuedAt);
        byCode = _checkPickUp(rightId, r.holder, haulier, codeDigest);
    }

    function _recordGateOut(
        bytes32 rightId,
        uint256 billId,
        string calldata containerNumber,
        uint32 haulier,
        bool byCode,
        bytes32 customsRelease,
        EquipmentInterchange calldata eir
    ) private {
        ReleaseRight storage r = _rights[rightId];
        (bytes32 recordId, bytes32 previous) = _advance(r, rightId, 0);
        r.status = ReleaseStatus.GATED_OUT;
        emit GatedOut(
            rightId,
            billId,
            recordId,
            previous,
            containerNumber,
            r.terminal,
            haulier,
            byCode,
            customsRelease,
            eir,
            msg.sender
        );
    }

    /// @dev Returns the customs release found; reverts without one or with an effective hold. A release
    ///      counts only on the bill or on the container under this bill, and only if attested at or after
    ///      the current version's issue: a release of the same container for an earlier voyage never opens
    ///      the gate. Holds block on the bill, the bill-bound container and the bare container.
    function _checkCustoms(
        uint256 billId,
        string calldata containerNumber,
        uint64 issuedAt
    ) private view returns (bytes32 release) {
        bytes32 billSubject = bytes32(billId);
        bytes32 billContainer = Ids.billContainerSubject(billId, containerNumber);
        release = attestations.effectiveSince(billSubject, customsReleaseSchema, issuedAt);
        if (release == bytes32(0)) release = attestations.effectiveSince(billContainer, customsReleaseSchema, issuedAt);
        if (release == bytes32(0)) revert ReleaseNoCustomsRelease(billId, containerNumber);
        _checkNoHold(billSubject);
        _checkNoHold(billContainer);
        _checkNoHold(Ids.containerSubject(containerNumber));
    }

    function _checkNoHold(bytes32 subject) private view {
        bytes32 hold = attestations.effectiveSince(subject, customsHoldSchema, 0);
        if (hold != bytes32(0)) revert ReleaseCustomsHold(subject, hold);
    }

    /// @dev Identity-based pick-up first; otherwise the one-time code. Returns whether the code was used.
    function _checkPickUp(
        bytes32 rightId,
        uint32 holder,
        uint32 haulier,
        bytes32 codeDigest
    ) private view returns (bool) {
        if (haulier != 0 && haulier == holder) return false;
        if (codeDigest == bytes32(0)) revert ReleaseHaulierNotHolder(rightId, haulier, holder);
        bytes32 expected = _codeHashes[rightId];
        if (expected == bytes32(0) || releaseCodeHash(rightId, codeDigest) != expected) {
            revert ReleaseCodeMismatch(rightId);
        }
        return true;
    }
}
