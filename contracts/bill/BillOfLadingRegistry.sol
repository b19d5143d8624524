// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IBillOfLadingRegistry} from "../interfaces/IBillOfLadingRegistry.sol";
import {MemberCache} from "../consortium/MemberCache.sol";
import {Bill, BillAction, BillKind, BillStatus, PledgeStatus, SurrenderReason} from "../types/BillTypes.sol";
import {Ids} from "../types/Ids.sol";
import {Role, RoleSet} from "../types/Roles.sol";
import {BillPacking} from "./BillPacking.sol";

/// @title Electronic bill of lading registry (see {IBillOfLadingRegistry})
/// @notice Titles are held by organisations; ERC-721 is a read-only window for wallets and explorers.
contract BillOfLadingRegistry is IBillOfLadingRegistry, IERC721Metadata, MemberCache {
    using BillPacking for Bill;
    using BillPacking for uint256;

    /// @dev Roles that make an organisation eligible to hold or possess a title.
    uint16 private constant _TITLE_PARTY = uint16((1 << uint8(Role.TRADER)) | (1 << uint8(Role.BANK)));
    /// @dev Role a pledgee needs.
    uint16 private constant _PLEDGEE = uint16(1 << uint8(Role.BANK));

    /// @dev Pledge terms in one slot (64 + 24 + 128 bits); the registration reference in a second one.
    struct PledgeTerms {
        uint64 expiry;
        bytes3 currency;
        uint128 amount;
    }

    /// @dev Title state, one word per title in the layout of `struct Bill` (see {BillPacking}). Kept as a
    ///      raw word so that an action reads it with one SLOAD and writes it with one SSTORE.
    mapping(uint256 billId => uint256 word) private _bills;
    /// @dev SHA-256 of the current document version.
    mapping(uint256 billId => bytes32) private _checksums;
    mapping(uint256 billId => PledgeTerms) private _pledgeTerms;
    mapping(uint256 billId => bytes32) private _pledgeRefs;
    /// @dev ERC-721 balances keyed by organisation, eight 32-bit counters per word (org ids are small and
    ///      sequential, so most transfers between the members of a consortium touch a single word that is
    ///      already non-zero: one 5,000-gas update instead of two, and no 22,100-gas zero-to-non-zero write
    ///      for an organisation's first title when a neighbour already holds one).
    mapping(uint256 wordIndex => uint256 counters) private _balanceWords;

    /// @param consortium_ The Consortium that pushes membership into this registry's cache.
    constructor(address consortium_) MemberCache(consortium_) {}

    // ----------------------------------------------------------------------------------------------
    // Checks shared by the actions
    // ----------------------------------------------------------------------------------------------

    /// @dev The caller's organisation. `discharge` admits a suspended organisation (SACC, SREJ, RELEASE_PLEDGE).
    function _actor(bool discharge) private view returns (uint32 org, uint16 roles) {
        Member memory m = _members[msg.sender];
        if (m.org == 0) revert BillCallerNotMember(msg.sender);
        if (m.suspended && !discharge) revert BillCallerSuspended(m.org);
        return (m.org, m.roles);
    }

    function _load(uint256 billId) private view returns (Bill memory b) {
        uint256 word = _bills[billId];
        if (word == 0) revert BillUnknown(billId);
        return word.unpack();
    }

    function _requireStatus(uint256 billId, Bill memory b, BillStatus status) private pure {
        if (b.status != status) revert BillWrongStatus(billId, b.status);
    }

    function _requirePossessor(uint256 billId, Bill memory b, uint32 actor) private pure {
        if (b.possessor != actor) revert BillNotPossessor(billId, actor);
    }

    /// @dev Holder of a negotiable title, or any possessor when it is blank-endorsed.
    function _requireHolderOrBlank(uint256 billId, Bill memory b, uint32 actor) private pure {
        if (b.holder != 0 && b.holder != actor) revert BillNotTitleHolder(billId, actor);
    }

    /// @dev Refuses while a pledge is requested (and not expired) or active; clears an expired request
    ///      in `b`, which the caller writes back anyway.
    function _requireUnpledged(uint256 billId, Bill memory b) private view {
        if (b.pledgeStatus == PledgeStatus.NONE) return;
        if (b.pledgeStatus == PledgeStatus.ACTIVE || block.timestamp <= _pledgeTerms[billId].expiry) {
            revert BillPledged(billId, b.pledgee);
        }
        b.pledgeStatus = PledgeStatus.NONE;
        b.pledgee = 0;
    }

    /// @dev A recipient must be a known, non-suspended organisation with one of `roles`.
    function _requireParty(uint32 org, uint16 roles) private view {
        OrgState memory o = _orgs[org];
        if (!o.exists) revert BillRecipientUnknown(org);
        if (o.suspended) revert BillRecipientSuspended(org);
        if (o.roles & roles == 0) revert BillRecipientNotEligible(org);
    }

    // ----------------------------------------------------------------------------------------------
    // Writes shared by the actions
    // ----------------------------------------------------------------------------------------------

    /// @dev Moves one title between the possession counters of two organisations.
    function _moveBalance(uint32 from, uint32 to) private {
        uint256 fromWord = from >> 3;
        uint256 toWord = to >> 3;
        uint256 fromUnit = uint256(1) << ((from & 7) << 5);
        uint256 toUnit = uint256(1) << ((to & 7) << 5);
        // unchecked: `from` possesses the title being moved, so its counter is at least 1 and the
        // subtraction never borrows from the neighbouring counter; a counter would need 2^32 titles to
        // carry into its neighbour.
        unchecked {
            if (fromWord == toWord) {
                _balanceWords[fromWord] = _balanceWords[fromWord] - fromUnit + toUnit;
            } else {
                _balanceWords[fromWord] -= fromUnit;
                _balanceWords[toWord] += toUnit;
            }
        }
    }

    function _acted(
        uint256 billId,
        uint32 actor,
        uint32 recipient,
        BillAction action,
        SurrenderReason reason,
        bytes32 remarkHash
    ) private {
        emit BillActed(billId, actor, recipient, action, reason, remarkHash);
    }

    /// @dev Delivers the title to `to` (possession change) and records it.
    function _deliver(uint256 billId, Bill memory b, uint32 from, uint32 to) private {
        b.possessor = to;
        _bills[billId] = b.pack();
        _moveBalance(from, to);
        emit Transfer(BillPacking.orgAddress(from), BillPacking.orgAddress(to), billId);
    }

    // ----------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IBillOfLadingRegistry
    function issue(
        string calldata transportDocumentReference,
        BillKind kind,
        uint32 issueTo,
        uint32 consignee,
        bytes32 checksum,
        string calldata cid,
        bytes32 remarkHash
    ) external returns (uint256 billId) {
        uint32 actor = _carrierActor();
        billId = Ids.titleId(actor, transportDocumentReference);
        Bill memory b = _create(billId, actor, kind, issueTo, consignee, checksum);
        _emitIssued(billId, b, checksum, transportDocumentReference, cid);
        _acted(billId, actor, issueTo, BillAction.ISSUE, SurrenderReason.NONE, remarkHash);
    }

    /// @dev The caller's organisation, which must be an active CARRIER.
    function _carrierActor() private view returns (uint32 actor) {
        uint16 roles;
        (actor, roles) = _actor(false);
        if (!RoleSet.has(roles, Role.CARRIER)) revert BillCallerLacksRole(actor, uint8(Role.CARRIER));
    }

    /// @dev Checks and stores a new title (split from {issue} to keep the stack shallow).
    function _create(
        uint256 billId,
        uint32 actor,
        BillKind kind,
        uint32 issueTo,
        uint32 consignee,
        bytes32 checksum
    ) private returns (Bill memory b) {
        if (_bills[billId] != 0) revert BillAlreadyIssued(billId);
        if (checksum == 0) revert BillChecksumInvalid(checksum);
        if ((kind == BillKind.NEGOTIABLE) != (consignee == 0)) revert BillConsigneeInvalid(consignee);
        _requireParty(issueTo, _TITLE_PARTY);
        if (consignee != 0) _requireParty(consignee, _TITLE_PARTY);

        b.carrier = actor;
        b.possessor = issueTo;
        b.holder = kind == BillKind.NEGOTIABLE ? issueTo : consignee;
        b.status = BillStatus.ISSUED;
        b.kind = kind;
        b.version = 1;
        _bills[billId] = b.pack();
        _checksums[billId] = checksum;
        // unchecked: see {_moveBalance}; a counter would need 2^32 titles to overflow into its neighbour.
        unchecked {
            _balanceWords[issueTo >> 3] += uint256(1) << ((issueTo & 7) << 5);
        }
        emit Transfer(address(0), BillPacking.orgAddress(issueTo), billId);
    }

    function _emitIssued(
        uint256 billId,
        Bill memory b,
        bytes32 checksum,
        string calldata transportDocumentReference,
        string calldata cid
    ) private {
        emit BillIssued(
            billId,
            b.carrier,
            b.kind,
            b.kind == BillKind.NEGOTIABLE ? 0 : b.holder,
            b.version,
            checksum,
            transportDocumentReference,
            cid
        );
    }

    /// @inheritdoc IBillOfLadingRegistry
    function transfer(uint256 billId, uint32 to, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind == BillKind.SWB) revert BillSeaWaybill(billId);
        if (b.kind == BillKind.STRAIGHT && to != b.holder) revert BillStraightRecipientMismatch(billId, to);
        _requireUnpledged(billId, b);
        if (to == actor) revert BillSelfTransfer(billId, to);
        _requireParty(to, _TITLE_PARTY);

        b.prevPossessor = actor;
        b.prevHolder = b.holder;
        b.flags = _rejectableFlags(b.flags);
        _deliver(billId, b, actor, to);
        _acted(billId, actor, to, BillAction.TRANSFER, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function endorse(uint256 billId, uint32 to, bytes32 remarkHash) external {
        _endorse(billId, to, false, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function endorseToOrder(uint256 billId, uint32 to, bytes32 remarkHash) external {
        _endorse(billId, to, true, remarkHash);
    }

    function _endorse(uint256 billId, uint32 to, bool toOrder, bytes32 remarkHash) private {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind != BillKind.NEGOTIABLE) revert BillNotNegotiable(billId);
        _requireHolderOrBlank(billId, b, actor);
        if (b.flags & BillPacking.F_CLOSED != 0) revert BillEndorsementClosed(billId);
        _requireUnpledged(billId, b);
        if (to == actor) revert BillSelfTransfer(billId, to);
        _requireParty(to, _TITLE_PARTY);

        // Title only: possession (and so prevPossessor, the ERC-721 owner and the balances) stays with the
        // endorser; it moves by TRANSFER. The endorser was not closed (checked above), so PREV_CLOSED stays
        // clear; F_ENDORSED makes the endorsee (the new holder) the party that may REJECT.
        b.prevHolder = b.holder;
        b.holder = to;
        b.flags =
            (b.flags & BillPacking.F_SWTP) |
            BillPacking.F_REJECTABLE |
            BillPacking.F_ENDORSED |
            (toOrder ? 0 : BillPacking.F_CLOSED);
        _bills[billId] = b.pack();
        _acted(
            billId,
            actor,
            to,
            toOrder ? BillAction.ENDORSE_TO_ORDER : BillAction.ENDORSE,
            SurrenderReason.NONE,
            remarkHash
        );
    }

    /// @dev Flags after a transfer: rejectable, remembering whether the holder was closed.
    function _rejectableFlags(uint8 flags) private pure returns (uint8) {
        uint8 closed = flags & BillPacking.F_CLOSED;
        return closed | (closed << 1) | BillPacking.F_REJECTABLE; // F_PREV_CLOSED == F_CLOSED << 1
    }

    /// @inheritdoc IBillOfLadingRegistry
    function blankEndorse(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind != BillKind.NEGOTIABLE) revert BillNotNegotiable(billId);
        if (b.holder != actor) revert BillNotTitleHolder(billId, actor);
        if (b.flags & BillPacking.F_CLOSED != 0) revert BillEndorsementClosed(billId);
        _requireUnpledged(billId, b);

        b.holder = 0;
        b.flags = 0;
        _bills[billId] = b.pack();
        _acted(billId, actor, 0, BillAction.BLANK_ENDORSE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function sign(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.flags & (BillPacking.F_REJECTABLE | BillPacking.F_ENDORSED) == BillPacking.F_REJECTABLE) {
            // Signing is the transfer recipient's first action: the transfer can no longer be rejected. After
            // an endorsement the signing possessor is the endorser, not the recipient: the endorsee keeps
            // the right to reject.
            b.flags &= ~BillPacking.F_REJECTABLE;
            _bills[billId] = b.pack();
        }
        _acted(billId, actor, 0, BillAction.SIGN, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function reject(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        // The recipient of the last action: the title holder after an endorsement, else the possessor.
        bool endorsed = b.flags & BillPacking.F_ENDORSED != 0;
        if (endorsed) {
            if (b.holder != actor) revert BillNotTitleHolder(billId, actor);
        } else {
            _requirePossessor(billId, b, actor);
        }
        if (b.flags & BillPacking.F_REJECTABLE == 0) revert BillNotRejectable(billId);

        uint32 back = endorsed ? b.prevHolder : b.prevPossessor;
        b.holder = b.prevHolder;
        b.flags = (b.flags & BillPacking.F_PREV_CLOSED) >> 1; // restore F_CLOSED, clear the rest
        if (endorsed) {
            _bills[billId] = b.pack(); // the title returns to the endorser; possession never moved
        } else {
            _deliver(billId, b, actor, back);
        }
        _acted(billId, actor, back, BillAction.REJECT, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function surrenderForDelivery(uint256 billId, bytes32 remarkHash) external {
        _surrender(billId, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function surrenderForAmendment(uint256 billId, SurrenderReason reason, bytes32 remarkHash) external {
        if (reason == SurrenderReason.NONE) revert BillInvalidReason(uint8(reason));
        _surrender(billId, reason, remarkHash);
    }

    /// @dev `reason == NONE` is a surrender for delivery.
    function _surrender(uint256 billId, SurrenderReason reason, bytes32 remarkHash) private {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind == BillKind.SWB) revert BillSeaWaybill(billId);
        if (b.kind == BillKind.NEGOTIABLE) _requireHolderOrBlank(billId, b, actor);
        _requireUnpledged(billId, b);

        bool delivery = reason == SurrenderReason.NONE;
        b.status = delivery ? BillStatus.SURRENDER_PENDING_DELIVERY : BillStatus.SURRENDER_PENDING_AMENDMENT;
        b.prevPossessor = actor;
        b.flags = (b.flags & BillPacking.F_CLOSED) | (reason == SurrenderReason.SWTP ? BillPacking.F_SWTP : 0);
        uint32 carrier = b.carrier;
        _deliver(billId, b, actor, carrier);
        _acted(
            billId,
            actor,
            carrier,
            delivery ? BillAction.SURRENDER_FOR_DELIVERY : BillAction.SURRENDER_FOR_AMENDMENT,
            reason,
            remarkHash
        );
    }

    /// @dev Loads a title in SURRENDER_PENDING_* for its carrier (who may be suspended: answering a
    ///      surrender is a discharge).
    function _pendingForCarrier(uint256 billId) private view returns (uint32 actor, Bill memory b) {
        (actor, ) = _actor(true);
        b = _load(billId);
        if (b.status != BillStatus.SURRENDER_PENDING_DELIVERY && b.status != BillStatus.SURRENDER_PENDING_AMENDMENT) {
            revert BillWrongStatus(billId, b.status);
        }
        if (b.carrier != actor) revert BillNotCarrier(billId, actor);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function acceptSurrender(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _pendingForCarrier(billId);
        b.status =
            b.status == BillStatus.SURRENDER_PENDING_DELIVERY
                ? BillStatus.ACCOMPLISHED
                : BillStatus.SURRENDERED_FOR_AMENDMENT;
        _bills[billId] = b.pack();
        _acted(billId, actor, b.prevPossessor, BillAction.SACC, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function rejectSurrender(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _pendingForCarrier(billId);
        uint32 back = b.prevPossessor;
        b.status = BillStatus.ISSUED;
        b.flags &= BillPacking.F_CLOSED;
        _deliver(billId, b, actor, back);
        _acted(billId, actor, back, BillAction.SREJ, SurrenderReason.NONE, remarkHash);
    }

    /// @dev Loads a title surrendered for amendment for its carrier.
    function _amendableForCarrier(uint256 billId) private view returns (uint32 actor, Bill memory b) {
        (actor, ) = _actor(false);
        b = _load(billId);
        _requireStatus(billId, b, BillStatus.SURRENDERED_FOR_AMENDMENT);
        if (b.carrier != actor) revert BillNotCarrier(billId, actor);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function reissue(uint256 billId, bytes32 checksum, string calldata cid, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        if (checksum == 0 || checksum == _checksums[billId]) revert BillChecksumInvalid(checksum);
        uint32 back = b.prevPossessor;
        b.status = BillStatus.ISSUED;
        b.version += 1;
        b.flags &= BillPacking.F_CLOSED;
        _checksums[billId] = checksum;
        _deliver(billId, b, actor, back);
        emit BillIssued(
            billId,
            actor,
            b.kind,
            b.kind == BillKind.NEGOTIABLE ? 0 : b.holder,
            b.version,
            checksum,
            "",
            cid
        );
        _acted(billId, actor, back, BillAction.REISSUE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function switchToPaper(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        if (b.flags & BillPacking.F_SWTP == 0) revert BillSwitchNotRequested(billId);
        b.status = BillStatus.SWITCHED_TO_PAPER;
        _bills[billId] = b.pack();
        _acted(billId, actor, 0, BillAction.SWITCH_TO_PAPER, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function voidTitle(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        b.status = BillStatus.VOIDED;
        _bills[billId] = b.pack();
        _acted(billId, actor, 0, BillAction.VOID, SurrenderReason.NONE, remarkHash);
    }

    // ----------------------------------------------------------------------------------------------
    // Pledge overlay
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IBillOfLadingRegistry
    function requestPledge(
        uint256 billId,
        uint32 bank,
        uint128 amount,
        bytes3 currency,
        bytes32 registrationRef,
        uint64 expiry,
        bytes32 remarkHash
    ) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind != BillKind.NEGOTIABLE) revert BillNotNegotiable(billId);
        _requireUnpledged(billId, b);
        if (expiry <= block.timestamp) revert BillPledgeExpired(billId, expiry);
        _requireParty(bank, _PLEDGEE);

        b.pledgeStatus = PledgeStatus.REQUESTED;
        b.pledgee = bank;
        b.flags &= ~(BillPacking.F_REJECTABLE | BillPacking.F_ENDORSED);
        _bills[billId] = b.pack();
        _pledgeTerms[billId] = PledgeTerms(expiry, currency, amount);
        _pledgeRefs[billId] = registrationRef;
        emit BillPledgeRequested(billId, bank, amount, currency, registrationRef, expiry);
        _acted(billId, actor, bank, BillAction.PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function acceptPledge(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        if (b.pledgeStatus != PledgeStatus.REQUESTED) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        uint64 expiry = _pledgeTerms[billId].expiry;
        if (block.timestamp > expiry) revert BillPledgeExpired(billId, expiry);
        b.pledgeStatus = PledgeStatus.ACTIVE;
        _bills[billId] = b.pack();
        _acted(billId, actor, b.possessor, BillAction.ACCEPT_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function releasePledge(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(true);
        Bill memory b = _load(billId);
        if (b.pledgeStatus == PledgeStatus.NONE) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        b.pledgeStatus = PledgeStatus.NONE;
        b.pledgee = 0;
        _bills[billId] = b.pack();
        _acted(billId, actor, b.possessor, BillAction.RELEASE_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function enforcePledge(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        if (b.pledgeStatus != PledgeStatus.ACTIVE) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        uint32 from = b.possessor;
        b.pledgeStatus = PledgeStatus.NONE;
        b.pledgee = 0;
        b.prevPossessor = from;
        b.prevHolder = b.holder;
        b.holder = actor;
        b.flags = 0;
        _deliver(billId, b, from, actor);
        _acted(billId, actor, actor, BillAction.ENFORCE_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    // ----------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IBillOfLadingRegistry
    function bill(uint256 billId) external view returns (Bill memory) {
        return _bills[billId].unpack();
    }

    /// @inheritdoc IBillOfLadingRegistry
    function documentChecksum(uint256 billId) external view returns (bytes32) {
        return _checksums[billId];
    }

    /// @inheritdoc IBillOfLadingRegistry
    function statusOf(uint256 billId) external view returns (BillStatus) {
        return _bills[billId].unpack().status;
    }

    /// @inheritdoc IBillOfLadingRegistry
    function pledgeOf(uint256 billId) external view returns (Pledge memory p) {
        Bill memory b = _bills[billId].unpack();
        PledgeTerms memory t = _pledgeTerms[billId];
        p.status = b.pledgeStatus;
        p.pledgee = b.pledgee;
        if (p.status == PledgeStatus.REQUESTED && block.timestamp > t.expiry) {
            p.status = PledgeStatus.NONE;
            p.pledgee = 0;
        }
        p.expiry = t.expiry;
        p.currency = t.currency;
        p.amount = t.amount;
        p.registrationRef = _pledgeRefs[billId];
    }

    /// @inheritdoc IBillOfLadingRegistry
    function balanceOfOrg(uint32 org) public view returns (uint256) {
        return (_balanceWords[org >> 3] >> ((org & 7) << 5)) & type(uint32).max;
    }

    /// @inheritdoc IBillOfLadingRegistry
    function titleIdOf(uint32 carrier, string calldata transportDocumentReference) external pure returns (uint256) {
        return Ids.titleId(carrier, transportDocumentReference);
    }

    // ----------------------------------------------------------------------------------------------
    // ERC-721 (read-only window)
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == type(IERC165).interfaceId ||
            interfaceId == type(IERC721).interfaceId ||
            interfaceId == type(IERC721Metadata).interfaceId;
    }

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return "PortLedger Bill of Lading";
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return "PLBL";
    }

    /// @inheritdoc IERC721Metadata
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        if (_bills[tokenId] == 0) revert BillUnknown(tokenId);
        return string.concat("portledger:bill:", Strings.toHexString(tokenId, 32));
    }

    /// @inheritdoc IERC721
    /// @dev Owners are organisation addresses (Ids.orgAddress); organisation ids are sequential from 1 and
    ///      every one of them is in the member cache, so a view can search them instead of every title
    ///      action paying for a reverse-lookup write.
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert BillInvalidOwner(owner);
        for (uint32 org = 1; _orgs[org].exists; ++org) {
            if (Ids.orgAddress(org) == owner) return balanceOfOrg(org);
        }
        return 0;
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address) {
        uint256 word = _bills[tokenId];
        if (word == 0) revert BillUnknown(tokenId);
        return BillPacking.orgAddress(word.unpack().possessor);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        if (_bills[tokenId] == 0) revert BillUnknown(tokenId);
        return address(0);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC721
    function approve(address, uint256) external pure {
        revert BillTransferViaRegistryOnly();
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address, bool) external pure {
        revert BillTransferViaRegistryOnly();
    }

    /// @inheritdoc IERC721
    function transferFrom(address, address, uint256) external pure {
        revert BillTransferViaRegistryOnly();
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address, address, uint256) external pure {
        revert BillTransferViaRegistryOnly();
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address, address, uint256, bytes calldata) external pure {
        revert BillTransferViaRegistryOnly();
    }
}
