// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill, BillKind, BillStatus, PledgeStatus, SurrenderReason} from "../types/BillTypes.sol";

/// @title Electronic bill of lading registry (docs/design.md §1.2)
/// @notice One title per (carrier, transportDocumentReference), held by organisations. Only the actions
///         below change a title; each is allowed exactly where the design's state machine and pledge overlay
///         allow it and refused with a named error everywhere else. ENDORSE and ENDORSE_TO_ORDER move the
///         title only (the endorsee becomes title holder); possession moves only by TRANSFER (and by
///         surrender, its answers, re-issue and pledge enforcement). Every action emits {BillActed}; issue
///         and re-issue also emit {BillIssued}; every possession change emits the ERC-721 `Transfer`.
interface IBillOfLadingRegistry {
    /// @notice The pledge of a title as the chain keeps it. Amount, currency and registration reference are
    ///         carried by {BillPledgeRequested}; the chain keeps their hash inside `termsHash`.
    struct Pledge {
        /// @notice Pledge state; a request past its `acceptBy` reads as `NONE`.
        PledgeStatus status;
        /// @notice The bank (0 when none).
        uint32 pledgee;
        /// @notice Number of the latest request on this title (1 for the first); names the pledge in its
        ///         default subject `keccak256(abi.encode("PLEDGE", billId, nonce))`.
        uint32 nonce;
        /// @notice Last moment the bank may accept the request (unix seconds).
        uint64 acceptBy;
        /// @notice From this moment on (exclusive) the bank may enforce without a default.
        uint64 maturity;
        /// @notice Seconds a `PLEDGE_DEFAULT` attestation must have been effective before enforcement.
        uint32 noticePeriod;
        /// @notice When the bank accepted (0 while requested).
        uint64 acceptedAt;
        /// @notice {pledgeTermsHash} of the request.
        bytes32 termsHash;
    }

    /// @notice What a carrier issues.
    struct IssueRequest {
        /// @notice The carrier's reference (unique per carrier).
        string transportDocumentReference;
        /// @notice Negotiable, straight or SWB.
        BillKind kind;
        /// @notice The first possessor (shipper).
        uint32 issueTo;
        /// @notice The named consignee (straight B/L, SWB); 0 for a negotiable B/L.
        uint32 consignee;
        /// @notice SHA-256 of the canonical transport document.
        bytes32 checksum;
        /// @notice Root of the document's container numbers (its first 24 bytes are kept; docs/design.md §1.5).
        bytes32 containerRoot;
        /// @notice Where the encrypted document is stored (event only).
        string cid;
    }

    /// @notice What a pledge request names (the terms a bank approves by their hash).
    struct PledgeTerms {
        /// @notice The pledgee (a BANK organisation).
        uint32 bank;
        /// @notice Secured amount in minor units of `currency`.
        uint128 amount;
        /// @notice ISO 4217 code.
        bytes3 currency;
        /// @notice External registration reference (e.g. the movable-property registry filing number).
        bytes32 registrationRef;
        /// @notice Last moment the bank may accept (unix seconds, in the future).
        uint64 acceptBy;
        /// @notice Maturity (unix seconds, after `acceptBy`).
        uint64 maturity;
        /// @notice Seconds a default must have been effective before enforcement.
        uint32 noticePeriod;
    }

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    /// @notice The caller is not a member account of any organisation.
    /// @param account The caller.
    error BillCallerNotMember(address account);
    /// @notice The caller's organisation is suspended and the action is not a discharge.
    /// @param org The caller's organisation.
    error BillCallerSuspended(uint32 org);
    /// @notice The caller's organisation lacks the role the action needs (ISSUE needs CARRIER).
    /// @param org The caller's organisation.
    /// @param role The role needed.
    error BillCallerLacksRole(uint32 org, uint8 role);
    /// @notice No such title.
    /// @param billId The title id.
    error BillUnknown(uint256 billId);
    /// @notice The carrier already issued a title with this transport document reference.
    /// @param billId The title id.
    error BillAlreadyIssued(uint256 billId);
    /// @notice The action is not allowed in the title's status.
    /// @param billId The title id.
    /// @param status The current status.
    error BillWrongStatus(uint256 billId, BillStatus status);
    /// @notice The caller's organisation is not the possessor.
    /// @param billId The title id.
    /// @param org The caller's organisation.
    error BillNotPossessor(uint256 billId, uint32 org);
    /// @notice The caller's organisation is not the title holder (and the title is not blank-endorsed); for
    ///         REJECT of an endorsement: the caller is not the endorsee.
    /// @param billId The title id.
    /// @param org The caller's organisation.
    error BillNotTitleHolder(uint256 billId, uint32 org);
    /// @notice The caller's organisation is not the issuing carrier of the title.
    /// @param billId The title id.
    /// @param org The caller's organisation.
    error BillNotCarrier(uint256 billId, uint32 org);
    /// @notice Endorsements and pledges are for negotiable B/Ls only.
    /// @param billId The title id.
    error BillNotNegotiable(uint256 billId);
    /// @notice A sea waybill is never transferred or surrendered.
    /// @param billId The title id.
    error BillSeaWaybill(uint256 billId);
    /// @notice A straight B/L goes only to its named consignee.
    /// @param billId The title id.
    /// @param recipient The recipient given.
    error BillStraightRecipientMismatch(uint256 billId, uint32 recipient);
    /// @notice The holder became title holder by a plain ENDORSE and cannot endorse further.
    /// @param billId The title id.
    error BillEndorsementClosed(uint256 billId);
    /// @notice The recipient is the caller itself (a transfer, endorsement or pledge to oneself).
    /// @param billId The title id.
    /// @param org The organisation.
    error BillSelfTransfer(uint256 billId, uint32 org);
    /// @notice REJECT needs the caller to be the recipient of the last transfer or endorsement, as its first
    ///         action (no action changing the title since, and for a transfer no SIGN by its recipient).
    /// @param billId The title id.
    error BillNotRejectable(uint256 billId);
    /// @notice A pledge is requested or active on the title.
    /// @param billId The title id.
    /// @param pledgee The bank.
    error BillPledged(uint256 billId, uint32 pledgee);
    /// @notice The pledge action needs another pledge state.
    /// @param billId The title id.
    /// @param status The current (effective) pledge state.
    error BillPledgeWrongStatus(uint256 billId, PledgeStatus status);
    /// @notice The caller's organisation is not the pledgee.
    /// @param billId The title id.
    /// @param org The caller's organisation.
    error BillNotPledgee(uint256 billId, uint32 org);
    /// @notice The pledge request lapsed (or the `acceptBy` given is not in the future).
    /// @param billId The title id.
    /// @param acceptBy The acceptance deadline.
    error BillPledgeExpired(uint256 billId, uint64 acceptBy);
    /// @notice The maturity of a pledge request must lie after its acceptance deadline.
    /// @param acceptBy The acceptance deadline.
    /// @param maturity The maturity given.
    error BillPledgeMaturityInvalid(uint64 acceptBy, uint64 maturity);
    /// @notice The acceptance carries another terms hash than the request's.
    /// @param billId The title id.
    /// @param expected The request's terms hash.
    /// @param given The hash the bank approved.
    error BillPledgeTermsMismatch(uint256 billId, bytes32 expected, bytes32 given);
    /// @notice The last transfer or endorsement can still be rejected by its recipient: nothing may be
    ///         pledged until it is answered (signed, acted upon) or rejected.
    /// @param billId The title id.
    error BillStillRejectable(uint256 billId);
    /// @notice The pledge is not enforceable yet: before maturity and without a qualifying default.
    /// @param billId The title id.
    /// @param maturity The pledge's maturity.
    error BillPledgeNotEnforceable(uint256 billId, uint64 maturity);
    /// @notice The attestation is not an effective `PLEDGE_DEFAULT` by the pledgee about this pledge,
    ///         attested after its acceptance.
    /// @param billId The title id.
    /// @param uid The attestation given.
    error BillPledgeDefaultInvalid(uint256 billId, bytes32 uid);
    /// @notice The default's notice period has not run yet.
    /// @param billId The title id.
    /// @param uid The default attestation.
    /// @param enforceableAt First moment enforcement is allowed on this default.
    error BillPledgeNoticeRunning(uint256 billId, bytes32 uid, uint64 enforceableAt);
    /// @notice The recipient is not an organisation of the consortium.
    /// @param org The recipient.
    error BillRecipientUnknown(uint32 org);
    /// @notice The recipient organisation is suspended.
    /// @param org The recipient.
    error BillRecipientSuspended(uint32 org);
    /// @notice The recipient lacks the role needed (TRADER or BANK for a title party, BANK for a pledgee).
    /// @param org The recipient.
    error BillRecipientNotEligible(uint32 org);
    /// @notice Negotiable B/Ls name no consignee; straight B/Ls and sea waybills must.
    /// @param consignee The consignee given.
    error BillConsigneeInvalid(uint32 consignee);
    /// @notice The checksum is zero, or a re-issue does not change it.
    /// @param checksum The checksum given.
    error BillChecksumInvalid(bytes32 checksum);
    /// @notice The container root is zero (a transport document lists at least one container).
    error BillContainerRootInvalid();
    /// @notice A surrender for amendment needs reason SWTP, COD or SWI.
    /// @param reason The reason given.
    error BillInvalidReason(uint8 reason);
    /// @notice Switch to paper needs a surrender for amendment with reason SWTP.
    /// @param billId The title id.
    error BillSwitchNotRequested(uint256 billId);
    /// @notice The `PLEDGE_DEFAULT` schema given at deployment is not registered, active and permanent.
    /// @param schemaId The schema id given.
    error BillDefaultSchemaInvalid(bytes32 schemaId);
    /// @notice Titles move only through the registry's own actions (ERC-721 transfer/approval refused).
    error BillTransferViaRegistryOnly();
    /// @notice ERC-721 `balanceOf(address(0))`.
    /// @param owner The address given.
    error BillInvalidOwner(address owner);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice Any action on a title (including issue, re-issue and the pledge actions), with the title's
    ///         state after it.
    /// @param billId The title id.
    /// @param actor The acting organisation.
    /// @param recipient The organisation the action addresses (new possessor / endorsee / carrier /
    ///        pledgee; for REJECT the possessor (of a transfer) or title holder (of an endorsement) it
    ///        returns to; the possessor it returns to for SREJ; 0 for SIGN and BLANK_ENDORSE).
    /// @param state The title's packed word after the action (bits 0-239, the layout of {Bill}: carrier,
    ///        possessor, holder, prevPossessor, prevHolder, pledgee, status, kind, pledgeStatus, version,
    ///        flags from the lowest bits up), the action code in bits 240-247 and the surrender reason in
    ///        bits 248-255.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    event BillActed(
        uint256 indexed billId,
        uint32 indexed actor,
        uint32 indexed recipient,
        uint256 state,
        bytes32 remarkHash
    );

    /// @notice A title was issued, or its amended version re-issued.
    /// @param billId The title id.
    /// @param carrier The issuing carrier.
    /// @param kind Negotiable, straight or SWB.
    /// @param consignee Named consignee (0 for a negotiable B/L).
    /// @param version Document version (1 at issue).
    /// @param checksum SHA-256 of the canonical transport document.
    /// @param containerRoot Root of the document's container numbers (docs/design.md §1.5).
    /// @param transportDocumentReference The carrier's reference ("" at re-issue).
    /// @param cid Where the encrypted document is stored.
    event BillIssued(
        uint256 indexed billId,
        uint32 indexed carrier,
        BillKind kind,
        uint32 consignee,
        uint16 version,
        bytes32 checksum,
        bytes24 containerRoot,
        string transportDocumentReference,
        string cid
    );

    /// @notice A pledge was requested.
    /// @param billId The title id.
    /// @param pledgee The bank.
    /// @param nonce The request's pledge nonce.
    /// @param pledgor The requesting possessor.
    /// @param terms The terms.
    /// @param termsHash {pledgeTermsHash} of the request, which the bank's acceptance must carry.
    event BillPledgeRequested(
        uint256 indexed billId,
        uint32 indexed pledgee,
        uint32 nonce,
        uint32 pledgor,
        PledgeTerms terms,
        bytes32 termsHash
    );

    // ----------------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------------

    /// @notice ISSUE (carrier): creates the title; possessor = `issueTo`; title holder = `issueTo` for a
    ///         negotiable B/L, the consignee otherwise; records the checksum, the container root and the
    ///         issue time of version 1.
    /// @param request What is issued.
    /// @param remarkHash Remark hash.
    /// @return billId The title id (Ids.titleId).
    function issue(IssueRequest calldata request, bytes32 remarkHash) external returns (uint256 billId);

    /// @notice TRANSFER of possession (possessor; straight: only to the consignee; never an SWB).
    /// @param billId The title id.
    /// @param to The recipient organisation.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function transfer(uint256 billId, uint32 to, bytes32 remarkHash) external;

    /// @notice ENDORSE to a named endorsee who cannot endorse further (possessor who is title holder, or
    ///         any possessor when blank; negotiable only). The endorsee becomes title holder; possession
    ///         stays with the endorser until a {transfer}. The endorsee may {reject} it as its first action.
    /// @param billId The title id.
    /// @param to The recipient organisation.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function endorse(uint256 billId, uint32 to, bytes32 remarkHash) external;

    /// @notice ENDORSE_TO_ORDER of a named endorsee, who may endorse further. Same parties as {endorse}.
    /// @param billId The title id.
    /// @param to The recipient organisation.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function endorseToOrder(uint256 billId, uint32 to, bytes32 remarkHash) external;

    /// @notice BLANK_ENDORSE (possessor and title holder): no title holder from now on.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function blankEndorse(uint256 billId, bytes32 remarkHash) external;

    /// @notice SIGN (possessor): event only; a transfer's recipient signing gives up its right to {reject}
    ///         (an endorser signing leaves the endorsee's right intact).
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function sign(uint256 billId, bytes32 remarkHash) external;

    /// @notice REJECT (recipient of the last transfer or endorsement, as its first action). Of a transfer
    ///         (by the new possessor): possession and title holder return to what they were before it. Of an
    ///         endorsement (by the endorsee, the title holder): the title holder (and whether it may endorse
    ///         further) returns to what it was; possession, which the endorsement did not move, stays.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function reject(uint256 billId, bytes32 remarkHash) external;

    /// @notice SURRENDER_FOR_DELIVERY to the issuing carrier (negotiable: possessor who is holder or any
    ///         possessor when blank; straight: the possessor).
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function surrenderForDelivery(uint256 billId, bytes32 remarkHash) external;

    /// @notice SURRENDER_FOR_AMENDMENT to the issuing carrier, same parties, reason SWTP / COD / SWI.
    /// @param billId The title id.
    /// @param reason SWTP, COD or SWI.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function surrenderForAmendment(uint256 billId, SurrenderReason reason, bytes32 remarkHash) external;

    /// @notice SACC (carrier; allowed while suspended): delivery → ACCOMPLISHED, amendment →
    ///         SURRENDERED_FOR_AMENDMENT.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function acceptSurrender(uint256 billId, bytes32 remarkHash) external;

    /// @notice SREJ (carrier; allowed while suspended): back to ISSUED, possession to the requester.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function rejectSurrender(uint256 billId, bytes32 remarkHash) external;

    /// @notice Re-issue of the amended version (carrier): version + 1, new checksum and container list,
    ///         issue time now, possession back to the organisation that surrendered.
    /// @param billId The title id.
    /// @param checksum SHA-256 of the amended transport document (must change).
    /// @param containerRoot Root of the amended document's container numbers.
    /// @param cid Where the encrypted amended document is stored (event only).
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function reissue(
        uint256 billId,
        bytes32 checksum,
        bytes32 containerRoot,
        string calldata cid,
        bytes32 remarkHash
    ) external;

    /// @notice SWITCH_TO_PAPER (carrier; the surrender reason was SWTP): final.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function switchToPaper(uint256 billId, bytes32 remarkHash) external;

    /// @notice VOID (carrier, after SACC of a surrender for amendment): final.
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function voidTitle(uint256 billId, bytes32 remarkHash) external;

    /// @notice PLEDGE request (negotiable, issued title; the possessor who is also title holder, or any
    ///         possessor when blank-endorsed; nothing rejectable; no other pledge).
    /// @param billId The title id.
    /// @param terms The terms the bank is asked to accept.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function requestPledge(uint256 billId, PledgeTerms calldata terms, bytes32 remarkHash) external;

    /// @notice ACCEPT_PLEDGE (the named bank, at or before `acceptBy`), binding exactly the terms approved.
    /// @param billId The title id.
    /// @param termsHash {pledgeTermsHash} of the terms the bank approved.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function acceptPledge(uint256 billId, bytes32 termsHash, bytes32 remarkHash) external;

    /// @notice RELEASE_PLEDGE (the bank; declines a request or ends an active pledge; allowed while suspended).
    /// @param billId The title id.
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function releasePledge(uint256 billId, bytes32 remarkHash) external;

    /// @notice ENFORCE_PLEDGE (the bank, active pledge): the bank becomes possessor and title holder. Only
    ///         after maturity, or on a `PLEDGE_DEFAULT` attestation by the bank about this pledge, attested
    ///         after acceptance and effective for the notice period.
    /// @param billId The title id.
    /// @param defaultUid The default attestation (0 to enforce at maturity).
    /// @param remarkHash Hash of an off-chain remark (0 if none).
    function enforcePledge(uint256 billId, bytes32 defaultUid, bytes32 remarkHash) external;

    // ----------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------

    /// @notice The packed state of a title (status NONE for an unknown id).
    /// @param billId The title id.
    function bill(uint256 billId) external view returns (Bill memory);

    /// @notice SHA-256 of the current version of the transport document (0 for an unknown id).
    /// @param billId The title id.
    function documentChecksum(uint256 billId) external view returns (bytes32);

    /// @notice The status of a title (NONE for an unknown id).
    /// @param billId The title id.
    function statusOf(uint256 billId) external view returns (BillStatus);

    /// @notice The pledge on a title with its effective status (a lapsed request reads as NONE).
    /// @param billId The title id.
    function pledgeOf(uint256 billId) external view returns (Pledge memory);

    /// @notice The hash a bank's acceptance must carry: `keccak256(abi.encode(billId, nonce, bank, pledgor,
    ///         amount, currency, registrationRef, acceptBy, maturity, noticePeriod))`.
    /// @param billId The title id.
    /// @param nonce The request's pledge nonce.
    /// @param pledgor The requesting possessor.
    /// @param terms The terms.
    function pledgeTermsHash(
        uint256 billId,
        uint32 nonce,
        uint32 pledgor,
        PledgeTerms calldata terms
    ) external pure returns (bytes32);

    /// @notice The container root (first 24 bytes) and issue time of the current version.
    /// @param billId The title id.
    function issueFacts(uint256 billId) external view returns (bytes24 containerRoot, uint64 issuedAt);

    /// @notice The `PLEDGE_DEFAULT` schema the pledge overlay consults (permanent: it can never be switched off).
    function pledgeDefaultSchema() external view returns (bytes32);

    /// @notice Number of titles an organisation possesses.
    /// @param org The organisation.
    function balanceOfOrg(uint32 org) external view returns (uint256);

    /// @notice The title id of a carrier's transport document reference (Ids.titleId).
    /// @param carrier The carrier organisation.
    /// @param transportDocumentReference The carrier's reference.
    function titleIdOf(uint32 carrier, string calldata transportDocumentReference) external pure returns (uint256);
}
