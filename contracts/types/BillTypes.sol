// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Status of a title (docs/design.md §1.2 state machine). `NONE` = no such title.
enum BillStatus {
    NONE,
    ISSUED,
    SURRENDER_PENDING_DELIVERY,
    SURRENDER_PENDING_AMENDMENT,
    ACCOMPLISHED,
    SURRENDERED_FOR_AMENDMENT,
    SWITCHED_TO_PAPER,
    VOIDED
}

/// @notice Kind of transport document: negotiable `BOL` (to order), straight `BOL` (named consignee), `SWB`.
enum BillKind {
    NEGOTIABLE,
    STRAIGHT,
    SWB
}

/// @notice Pledge overlay state.
enum PledgeStatus {
    NONE,
    REQUESTED,
    ACTIVE
}

/// @notice DCSA action codes, plus the registry's own `REISSUE` (amended version) and the pledge actions.
enum BillAction {
    ISSUE,
    TRANSFER,
    ENDORSE,
    ENDORSE_TO_ORDER,
    BLANK_ENDORSE,
    SIGN,
    SURRENDER_FOR_DELIVERY,
    SURRENDER_FOR_AMENDMENT,
    SACC,
    SREJ,
    REJECT,
    REISSUE,
    VOID,
    SWITCH_TO_PAPER,
    PLEDGE,
    ACCEPT_PLEDGE,
    RELEASE_PLEDGE,
    ENFORCE_PLEDGE
}

/// @notice Reason of a surrender for amendment (DCSA `reasonCode`). `NONE` for every other action.
enum SurrenderReason {
    NONE,
    SWTP,
    COD,
    SWI
}

/// @notice The state of one title, packed into one storage slot (240 bits).
/// @dev Parties are organisation ids (0 = none). For a straight B/L `holder` is the named consignee
///      and never changes. During `SURRENDER_PENDING_*` and after `SACC` the carrier is possessor and
///      `prevPossessor` is the organisation that surrendered.
struct Bill {
    uint32 carrier; // issuing carrier organisation
    uint32 possessor; // organisation with exclusive control
    uint32 holder; // title holder (endorsee); 0 when blank-endorsed; the consignee of a straight B/L
    uint32 prevPossessor; // possessor before the last transfer / surrender (for REJECT and SREJ)
    uint32 prevHolder; // title holder before the last endorsement (for REJECT)
    uint32 pledgee; // bank of the requested or active pledge, 0 if none
    BillStatus status;
    BillKind kind;
    PledgeStatus pledgeStatus;
    uint16 version; // document version, 1 at issue, + 1 per re-issue
    uint8 flags; // see BillFlags in the registry (e.g. last action rejectable, endorsee may endorse further)
}
