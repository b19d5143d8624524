// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {IBillOfLadingRegistry} from "../interfaces/IBillOfLadingRegistry.sol";
import {MemberCache} from "../consortium/MemberCache.sol";
import {Attestation, SchemaRecord} from "../types/AttestationTypes.sol";
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

    /// @dev What the pledge overlay needs of a request after it is made, in one slot (64 * 3 + 32 * 2 bits):
    ///      the deadline and maturity to check, the acceptance time a default must follow, the nonce that
    ///      names the pledge and the notice period. The amount, currency and registration reference are only
    ///      in the request event and, through the terms hash, in the second slot (ADR 0005).
    struct PledgeState {
        uint64 acceptBy;
        uint64 maturity;
        uint64 acceptedAt;
        uint32 nonce;
        uint32 noticePeriod;
    }

    /// @dev The current version's container root (first 24 bytes) and issue time: the one slot per title
    ///      that the release gate reads besides the title word (ADR 0005).
    struct IssueState {
        bytes24 containerRoot;
        uint64 issuedAt;
    }

    /// @notice The attestation registry consulted for pledge defaults.
    IAttestationRegistry public immutable attestations;
    /// @inheritdoc IBillOfLadingRegistry
    bytes32 public immutable pledgeDefaultSchema;

    /// @dev Title state, one word per title in the layout of `struct Bill` (see {BillPacking}). Kept as a
    ///      raw word so that an action reads it with one SLOAD and writes it with one SSTORE.
    mapping(uint256 billId => uint256 word) private _bills;
    /// @dev SHA-256 of the current document version.
    mapping(uint256 billId => bytes32) private _checksums;
    mapping(uint256 billId => IssueState) private _issues;
    mapping(uint256 billId => PledgeState) private _pledges;
    mapping(uint256 billId => bytes32) private _pledgeTermsHashes;
    /// @dev ERC-721 balances keyed by organisation, eight 32-bit counters per word (org ids are small and
    ///      sequential, so most transfers between the members of a consortium touch a single word that is
    ///      already non-zero: one 5,000-gas update instead of two, and no 22,100-gas zero-to-non-zero write
    ///      for an organisation's first title when a neighbour already holds one).
    mapping(uint256 wordIndex => uint256 counters) private _balanceWords;

    /// @param consortium_ The Consortium that pushes membership into this registry's cache.
    /// @param attestations_ The AttestationRegistry holding pledge defaults.
    /// @param pledgeDefaultSchema_ The `PLEDGE_DEFAULT` schema id; it must be registered, active and
    ///        permanent, so that no vote can ever switch defaults off under a running pledge.
    constructor(address consortium_, address attestations_, bytes32 pledgeDefaultSchema_) MemberCache(consortium_) {
        (SchemaRecord memory record, bool active) = IAttestationRegistry(attestations_).schema(pledgeDefaultSchema_);
        if (!active || !record.permanent) revert BillDefaultSchemaInvalid(pledgeDefaultSchema_);
        attestations = IAttestationRegistry(attestations_);
        pledgeDefaultSchema = pledgeDefaultSchema_;
    }

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

    /// @dev Refuses while a pledge is requested (and not lapsed) or active; clears a lapsed request
    ///      in `b`, which the caller writes back anyway.
    function _requireUnpledged(uint256 billId, Bill memory b) private view {
        if (b.pledgeStatus == PledgeStatus.NONE) return;
        if (b.pledgeStatus == PledgeStatus.ACTIVE || block.timestamp <= _pledges[billId].acceptBy) {
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

    /// @dev Writes the title's word and returns it.
    function _store(uint256 billId, Bill memory b) private returns (uint256 word) {
        word = b.pack();
        _bills[billId] = word;
    }

    /// @dev Emits {BillActed} with the title's word after the action and the action and reason in its top
    ///      16 bits, so a reader applies the resulting state instead of re-deriving it (one data word less
    ///      than separate action and reason fields).
    function _acted(
        uint256 billId,
        uint32 actor,
        uint32 recipient,
        uint256 word,
        BillAction action,
        SurrenderReason reason,
        bytes32 remarkHash
    ) private {
        emit BillActed(
            billId,
            actor,
            recipient,
            word | (uint256(uint8(action)) << 240) | (uint256(uint8(reason)) << 248),
            remarkHash
        );
    }

    /// @dev Delivers the title to `to` (possession change), records it and returns the word written.
    function _deliver(uint256 billId, Bill memory b, uint32 from, uint32 to) private returns (uint256 word) {
        b.possessor = to;
        word = _store(billId, b);
        _moveBalance(from, to);
        emit Transfer(BillPacking.orgAddress(from), BillPacking.orgAddress(to), billId);
    }

    // ----------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IBillOfLadingRegistry
    function issue(IssueRequest calldata request, bytes32 remarkHash) external returns (uint256 billId) {
        uint32 actor = _carrierActor();
        billId = BillPacking.titleId(actor, request.transportDocumentReference);
        uint256 word = _create(billId, actor, request);
        // A negotiable title names no consignee (checked in _create), so `consignee` is what the event carries.
        emit BillIssued(
            billId,
            actor,
            request.kind,
            request.consignee,
            1,
            request.checksum,
            bytes24(request.containerRoot),
            request.transportDocumentReference,
            request.cid
        );
        _acted(billId, actor, request.issueTo, word, BillAction.ISSUE, SurrenderReason.NONE, remarkHash);
    }

    /// @dev The caller's organisation, which must be an active CARRIER.
    function _carrierActor() private view returns (uint32 actor) {
        uint16 roles;
        (actor, roles) = _actor(false);
        if (!RoleSet.has(roles, Role.CARRIER)) revert BillCallerLacksRole(actor, uint8(Role.CARRIER));
    }

    /// @dev Checks and stores a new title (split from {issue} to keep the stack shallow).
    function _create(uint256 billId, uint32 actor, IssueRequest calldata r) private returns (uint256 word) {
        BillKind kind = r.kind;
        uint32 issueTo = r.issueTo;
        uint32 consignee = r.consignee;
        bytes32 checksum = r.checksum;
        if (_bills[billId] != 0) revert BillAlreadyIssued(billId);
        if (checksum == 0) revert BillChecksumInvalid(checksum);
        if ((kind == BillKind.NEGOTIABLE) != (consignee == 0)) revert BillConsigneeInvalid(consignee);
        _requireParty(issueTo, _TITLE_PARTY);
        if (consignee != 0) _requireParty(consignee, _TITLE_PARTY);

        Bill memory b;
        b.carrier = actor;
        b.possessor = issueTo;
        b.holder = kind == BillKind.NEGOTIABLE ? issueTo : consignee;
        b.status = BillStatus.ISSUED;
        b.kind = kind;
        b.version = 1;
        word = _store(billId, b);
        _checksums[billId] = checksum;
        _setIssueFacts(billId, r.containerRoot);
        // unchecked: see {_moveBalance}; a counter would need 2^32 titles to overflow into its neighbour.
        unchecked {
            _balanceWords[issueTo >> 3] += uint256(1) << ((issueTo & 7) << 5);
        }
        emit Transfer(address(0), BillPacking.orgAddress(issueTo), billId);
    }

    /// @dev Records the current version's container root and issue time; returns the root as kept.
    function _setIssueFacts(uint256 billId, bytes32 containerRoot) private returns (bytes24 root) {
        if (containerRoot == 0) revert BillContainerRootInvalid();
        root = bytes24(containerRoot);
        _issues[billId] = IssueState(root, uint64(block.timestamp));
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
        uint256 word = _deliver(billId, b, actor, to);
        _acted(billId, actor, to, word, BillAction.TRANSFER, SurrenderReason.NONE, remarkHash);
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
        _acted(
            billId,
            actor,
            to,
            _store(billId, b),
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
        _acted(billId, actor, 0, _store(billId, b), BillAction.BLANK_ENDORSE, SurrenderReason.NONE, remarkHash);
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
            _store(billId, b);
        }
        _acted(billId, actor, 0, b.pack(), BillAction.SIGN, SurrenderReason.NONE, remarkHash);
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
        // Of an endorsement the title returns to the endorser and possession never moved.
        uint256 word = endorsed ? _store(billId, b) : _deliver(billId, b, actor, back);
        _acted(billId, actor, back, word, BillAction.REJECT, SurrenderReason.NONE, remarkHash);
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
        uint256 word = _deliver(billId, b, actor, carrier);
        _acted(
            billId,
            actor,
            carrier,
            word,
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
        _acted(billId, actor, b.prevPossessor, _store(billId, b), BillAction.SACC, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function rejectSurrender(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _pendingForCarrier(billId);
        uint32 back = b.prevPossessor;
        b.status = BillStatus.ISSUED;
        b.flags &= BillPacking.F_CLOSED;
        uint256 word = _deliver(billId, b, actor, back);
        _acted(billId, actor, back, word, BillAction.SREJ, SurrenderReason.NONE, remarkHash);
    }

    /// @dev Loads a title surrendered for amendment for its carrier.
    function _amendableForCarrier(uint256 billId) private view returns (uint32 actor, Bill memory b) {
        (actor, ) = _actor(false);
        b = _load(billId);
        _requireStatus(billId, b, BillStatus.SURRENDERED_FOR_AMENDMENT);
        if (b.carrier != actor) revert BillNotCarrier(billId, actor);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function reissue(
        uint256 billId,
        bytes32 checksum,
        bytes32 containerRoot,
        string calldata cid,
        bytes32 remarkHash
    ) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        if (checksum == 0 || checksum == _checksums[billId]) revert BillChecksumInvalid(checksum);
        bytes24 root = _setIssueFacts(billId, containerRoot);
        uint32 back = b.prevPossessor;
        b.status = BillStatus.ISSUED;
        b.version += 1;
        b.flags &= BillPacking.F_CLOSED;
        _checksums[billId] = checksum;
        uint256 word = _deliver(billId, b, actor, back);
        emit BillIssued(
            billId,
            actor,
            b.kind,
            b.kind == BillKind.NEGOTIABLE ? 0 : b.holder,
            b.version,
            checksum,
            root,
            "",
            cid
        );
        _acted(billId, actor, back, word, BillAction.REISSUE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function switchToPaper(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        if (b.flags & BillPacking.F_SWTP == 0) revert BillSwitchNotRequested(billId);
        b.status = BillStatus.SWITCHED_TO_PAPER;
        _acted(billId, actor, 0, _store(billId, b), BillAction.SWITCH_TO_PAPER, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function voidTitle(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, Bill memory b) = _amendableForCarrier(billId);
        b.status = BillStatus.VOIDED;
        _acted(billId, actor, 0, _store(billId, b), BillAction.VOID, SurrenderReason.NONE, remarkHash);
    }

    // ----------------------------------------------------------------------------------------------
    // Pledge overlay
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IBillOfLadingRegistry
    function requestPledge(uint256 billId, PledgeTerms calldata terms, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        _requireStatus(billId, b, BillStatus.ISSUED);
        _requirePossessor(billId, b, actor);
        if (b.kind != BillKind.NEGOTIABLE) revert BillNotNegotiable(billId);
        // The pledgor must control the title, not only hold it: a possessor who endorsed the title away
        // cannot finance it again, and an endorsee or transferee keeps its right to reject (docs/design.md §1.2).
        _requireHolderOrBlank(billId, b, actor);
        if (b.flags & BillPacking.F_REJECTABLE != 0) revert BillStillRejectable(billId);
        _requireUnpledged(billId, b);
        if (terms.acceptBy <= block.timestamp) revert BillPledgeExpired(billId, terms.acceptBy);
        if (terms.maturity <= terms.acceptBy) revert BillPledgeMaturityInvalid(terms.acceptBy, terms.maturity);
        _requireParty(terms.bank, _PLEDGEE);
        // A bank holding the title cannot pledge it to itself (an enforcement would move nothing, and the
        // request would only block the title).
        if (terms.bank == actor) revert BillSelfTransfer(billId, actor);

        uint32 nonce = _pledges[billId].nonce + 1;
        bytes32 termsHash = _termsHash(billId, nonce, actor, terms);
        b.pledgeStatus = PledgeStatus.REQUESTED;
        b.pledgee = terms.bank;
        uint256 word = _store(billId, b);
        _pledges[billId] = PledgeState(terms.acceptBy, terms.maturity, 0, nonce, terms.noticePeriod);
        _pledgeTermsHashes[billId] = termsHash;
        emit BillPledgeRequested(billId, terms.bank, nonce, actor, terms, termsHash);
        _acted(billId, actor, terms.bank, word, BillAction.PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function acceptPledge(uint256 billId, bytes32 termsHash, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        if (b.pledgeStatus != PledgeStatus.REQUESTED) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        PledgeState storage p = _pledges[billId];
        uint64 acceptBy = p.acceptBy;
        if (block.timestamp > acceptBy) revert BillPledgeExpired(billId, acceptBy);
        bytes32 expected = _pledgeTermsHashes[billId];
        if (termsHash != expected) revert BillPledgeTermsMismatch(billId, expected, termsHash);
        b.pledgeStatus = PledgeStatus.ACTIVE;
        uint256 word = _store(billId, b);
        p.acceptedAt = uint64(block.timestamp);
        _acted(billId, actor, b.possessor, word, BillAction.ACCEPT_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function releasePledge(uint256 billId, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(true);
        Bill memory b = _load(billId);
        if (b.pledgeStatus == PledgeStatus.NONE) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        b.pledgeStatus = PledgeStatus.NONE;
        b.pledgee = 0;
        uint256 word = _store(billId, b);
        _acted(billId, actor, b.possessor, word, BillAction.RELEASE_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function enforcePledge(uint256 billId, bytes32 defaultUid, bytes32 remarkHash) external {
        (uint32 actor, ) = _actor(false);
        Bill memory b = _load(billId);
        if (b.pledgeStatus != PledgeStatus.ACTIVE) revert BillPledgeWrongStatus(billId, b.pledgeStatus);
        if (b.pledgee != actor) revert BillNotPledgee(billId, actor);
        PledgeState memory p = _pledges[billId];
        if (block.timestamp <= p.maturity) {
            if (defaultUid == 0) revert BillPledgeNotEnforceable(billId, p.maturity);
            _requireDefault(billId, actor, p, defaultUid);
        }
        uint32 from = b.possessor;
        b.pledgeStatus = PledgeStatus.NONE;
        b.pledgee = 0;
        b.prevPossessor = from;
        b.prevHolder = b.holder;
        b.holder = actor;
        b.flags = 0;
        uint256 word = _deliver(billId, b, from, actor);
        _acted(billId, actor, actor, word, BillAction.ENFORCE_PLEDGE, SurrenderReason.NONE, remarkHash);
    }

    /// @dev A default enforces only if it is the pledgee's own effective `PLEDGE_DEFAULT` about this very
    ///      pledge (its nonce), attested strictly after the acceptance (so never before it, not even in the
    ///      same second), and its notice period has run.
    function _requireDefault(uint256 billId, uint32 bank, PledgeState memory p, bytes32 uid) private view {
        Attestation memory a = attestations.attestation(uid);
        if (
            a.schemaId != pledgeDefaultSchema ||
            a.subject != Ids.pledgeSubject(billId, p.nonce) ||
            a.attester != bank ||
            a.time <= p.acceptedAt ||
            !attestations.isEffective(uid)
        ) revert BillPledgeDefaultInvalid(billId, uid);
        uint64 enforceableAt = a.time + p.noticePeriod;
        if (block.timestamp < enforceableAt) revert BillPledgeNoticeRunning(billId, uid, enforceableAt);
    }

    function _termsHash(
        uint256 billId,
        uint32 nonce,
        uint32 pledgor,
        PledgeTerms calldata t
    ) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    billId,
                    nonce,
                    t.bank,
                    pledgor,
                    t.amount,
                    t.currency,
                    t.registrationRef,
                    t.acceptBy,
                    t.maturity,
                    t.noticePeriod
                )
            );
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
    function pledgeOf(uint256 billId) external view returns (Pledge memory out) {
        Bill memory b = _bills[billId].unpack();
        PledgeState memory p = _pledges[billId];
        out.status = b.pledgeStatus;
        out.pledgee = b.pledgee;
        if (out.status == PledgeStatus.REQUESTED && block.timestamp > p.acceptBy) {
            out.status = PledgeStatus.NONE;
            out.pledgee = 0;
        }
        out.nonce = p.nonce;
        out.acceptBy = p.acceptBy;
        out.maturity = p.maturity;
        out.noticePeriod = p.noticePeriod;
        out.acceptedAt = p.acceptedAt;
        out.termsHash = _pledgeTermsHashes[billId];
    }

    /// @inheritdoc IBillOfLadingRegistry
    function pledgeTermsHash(
        uint256 billId,
        uint32 nonce,
        uint32 pledgor,
        PledgeTerms calldata terms
    ) external pure returns (bytes32) {
        return _termsHash(billId, nonce, pledgor, terms);
    }

    /// @inheritdoc IBillOfLadingRegistry
    function issueFacts(uint256 billId) external view returns (bytes24 containerRoot, uint64 issuedAt) {
        IssueState memory i = _issues[billId];
        return (i.containerRoot, i.issuedAt);
    }

    /// @notice The title's packed word with its container root and issue time in one call (what container
    ///         release reads; see {IBillView}).
    /// @param billId The title id.
    function releaseFacts(uint256 billId) external view returns (uint256, bytes24, uint64) {
        IssueState memory i = _issues[billId];
        return (_bills[billId], i.containerRoot, i.issuedAt);
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
