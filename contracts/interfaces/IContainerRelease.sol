// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BillStatus} from "../types/BillTypes.sol";
import {ReleaseRight, ReleaseStatus, ReleaseTerms, EquipmentInterchange} from "../types/ReleaseTypes.sol";

/// @title Container release rights and equipment interchange receipts (docs/design.md §1.3)
/// @notice A carrier grants a right per container from an accomplished B/L (or a sea waybill) to the party
///         that surrendered it (the SWB's consignee); the holder nominates it down the chain; the terminal
///         records gate-out only when the container is release-ready, and gate-in of the empty return.
interface IContainerRelease {
    // ------------------------------------------------------------------ errors

    /// @notice The caller does not act for the bill's carrier (or that organisation no longer holds `CARRIER`).
    /// @param billId The title id.
    /// @param caller The calling account.
    error ReleaseNotCarrier(uint256 billId, address caller);

    /// @notice The bill cannot be released: it is neither an accomplished B/L nor a live sea waybill.
    /// @param billId The title id.
    /// @param status Its status.
    error ReleaseBillNotReleasable(uint256 billId, BillStatus status);

    /// @notice Not an ISO 6346 container number with a valid check digit and category U, J or Z.
    /// @param containerNumber The number given.
    error ReleaseInvalidContainerNumber(string containerNumber);

    /// @notice The container is not on the current version of the transport document (its proof does not
    ///         lead to the bill's container root).
    /// @param billId The title id.
    /// @param containerNumber The number given.
    error ReleaseContainerNotOnBill(uint256 billId, string containerNumber);

    /// @notice One Merkle proof per container number is needed.
    /// @param containers Numbers given.
    /// @param proofs Proofs given.
    error ReleaseProofCountMismatch(uint256 containers, uint256 proofs);

    /// @notice The terminal or the depot is not an active member organisation holding the `TERMINAL` role.
    /// @param terminal The organisation given.
    error ReleaseInvalidTerminal(uint32 terminal);

    /// @notice The validity window is empty or already over.
    /// @param validFrom Start given.
    /// @param validUntil End given.
    error ReleaseInvalidWindow(uint48 validFrom, uint48 validUntil);

    /// @notice The container already has a granted or used right from this bill.
    /// @param rightId The right id.
    /// @param status Its status.
    error ReleaseRightExists(bytes32 rightId, ReleaseStatus status);

    /// @notice The right is not in the `GRANTED` state (unknown, revoked, or already used).
    /// @param rightId The right id.
    /// @param status Its status.
    error ReleaseRightNotActive(bytes32 rightId, ReleaseStatus status);

    /// @notice The caller does not act for the right's holder.
    /// @param rightId The right id.
    /// @param caller The calling account.
    error ReleaseNotHolder(bytes32 rightId, address caller);

    /// @notice The caller does not act for the right's carrier.
    /// @param rightId The right id.
    /// @param caller The calling account.
    error ReleaseNotRightCarrier(bytes32 rightId, address caller);

    /// @notice The nominee is the holder itself, or not an active member organisation.
    /// @param rightId The right id.
    /// @param nominee The organisation given.
    error ReleaseInvalidNominee(bytes32 rightId, uint32 nominee);

    /// @notice The caller does not act for the right's terminal (at gate-in: the terminal or the right's
    ///         depot), still holding `TERMINAL`.
    /// @param rightId The right id.
    /// @param caller The calling account.
    error ReleaseNotTerminal(bytes32 rightId, address caller);

    /// @notice The current time is outside the right's validity window.
    /// @param rightId The right id.
    /// @param validFrom Window start.
    /// @param validUntil Window end.
    /// @param timestamp The current block time.
    error ReleaseRightNotValid(bytes32 rightId, uint48 validFrom, uint48 validUntil, uint256 timestamp);

    /// @notice Neither the bill nor the container under this bill has an effective customs release attested
    ///         at or after the current version's issue.
    /// @param billId The title id.
    /// @param containerNumber The container.
    error ReleaseNoCustomsRelease(uint256 billId, string containerNumber);

    /// @notice An effective customs hold is on the bill, on the container under this bill or on the bare
    ///         container.
    /// @param subject The held subject (the title id, the bill-container or the container subject).
    /// @param holdUid The hold attestation.
    error ReleaseCustomsHold(bytes32 subject, bytes32 holdUid);

    /// @notice The truck's haulier is not the holder and no release code was presented.
    /// @param rightId The right id.
    /// @param haulier The haulier organisation the terminal identified (0 = none).
    /// @param holder The right's holder.
    error ReleaseHaulierNotHolder(bytes32 rightId, uint32 haulier, uint32 holder);

    /// @notice The presented release code does not match (or the right has none).
    /// @param rightId The right id.
    error ReleaseCodeMismatch(bytes32 rightId);

    /// @notice The right's holder has used up the records it may write (nominations and codes stop three
    ///         records short of 65,535, which stay kept for revocation, gate-out and gate-in); or a
    ///         re-grant would pass the counter.
    /// @param rightId The right id.
    error ReleaseTooManyRecords(bytes32 rightId);

    /// @notice A schema the gate consults is not registered, active and permanent (checked at deployment).
    /// @param schemaId The schema id.
    error ReleaseSchemaNotPermanent(bytes32 schemaId);

    /// @notice The right has not been gated out (or was already gated in).
    /// @param rightId The right id.
    /// @param status Its status.
    error ReleaseNotGatedOut(bytes32 rightId, ReleaseStatus status);

    // ------------------------------------------------------------------ events

    /// @notice A release right was granted (its previous record is the title id on the first grant, the
    ///         revocation record on a re-grant).
    /// @param rightId The right id.
    /// @param billId The title it comes from.
    /// @param recordId This record.
    /// @param previousRecordId The record before it.
    /// @param containerNumber The ISO 6346 container number.
    /// @param carrier The granting carrier.
    /// @param holder The grantee.
    /// @param terms Terminal, depot and validity window.
    event ReleaseGranted(
        bytes32 indexed rightId,
        uint256 indexed billId,
        bytes32 recordId,
        bytes32 previousRecordId,
        string containerNumber,
        uint32 carrier,
        uint32 holder,
        ReleaseTerms terms
    );

    /// @notice The holder nominated the right to another organisation (any release code is cleared).
    /// @param rightId The right id.
    /// @param recordId This record.
    /// @param previousRecordId The record before it.
    /// @param from The previous holder.
    /// @param to The new holder.
    /// @param by The calling account.
    event ReleaseNominated(
        bytes32 indexed rightId,
        bytes32 recordId,
        bytes32 previousRecordId,
        uint32 from,
        uint32 to,
        address by
    );

    /// @notice The holder set (or, with 0, cleared) the one-time release code hash.
    /// @param rightId The right id.
    /// @param recordId This record.
    /// @param previousRecordId The record before it.
    /// @param holder The holder.
    /// @param codeHash See {releaseCodeHash}; 0 = cleared.
    /// @param by The calling account.
    event ReleaseCodeSet(
        bytes32 indexed rightId,
        bytes32 recordId,
        bytes32 previousRecordId,
        uint32 holder,
        bytes32 codeHash,
        address by
    );

    /// @notice The carrier revoked an unused right.
    /// @param rightId The right id.
    /// @param recordId This record.
    /// @param previousRecordId The record before it.
    /// @param carrier The carrier.
    /// @param by The calling account.
    event ReleaseRevoked(
        bytes32 indexed rightId,
        bytes32 recordId,
        bytes32 previousRecordId,
        uint32 carrier,
        address by
    );

    /// @notice The terminal released the container (EIR out).
    /// @param rightId The right id.
    /// @param billId The title.
    /// @param recordId This record.
    /// @param previousRecordId The record before it.
    /// @param containerNumber The equipment number.
    /// @param terminal The terminal organisation.
    /// @param haulier The haulier organisation that picked it up (0 when unknown: release code).
    /// @param byReleaseCode Whether a release code authorised the pick-up.
    /// @param customsRelease The effective customs release found (on the bill, else on the container).
    /// @param eir The equipment interchange data.
    /// @param by The calling account.
    event GatedOut(
        bytes32 indexed rightId,
        uint256 indexed billId,
        bytes32 recordId,
        bytes32 previousRecordId,
        string containerNumber,
        uint32 terminal,
        uint32 haulier,
        bool byReleaseCode,
        bytes32 customsRelease,
        EquipmentInterchange eir,
        address by
    );

    /// @notice A terminal received the container back (EIR in).
    /// @param rightId The right id.
    /// @param billId The title.
    /// @param recordId This record.
    /// @param previousRecordId The record before it (the gate-out).
    /// @param containerNumber The equipment number.
    /// @param terminal The receiving organisation (the right's terminal or depot).
    /// @param eir The equipment interchange data.
    /// @param by The calling account.
    event GatedIn(
        bytes32 indexed rightId,
        uint256 indexed billId,
        bytes32 recordId,
        bytes32 previousRecordId,
        string containerNumber,
        uint32 terminal,
        EquipmentInterchange eir,
        address by
    );

    // ------------------------------------------------------------------ functions

    /// @notice Grants one release right per container to the organisation entitled to the cargo: for an
    ///         accomplished B/L the organisation that surrendered it, for a sea waybill its consignee. Only
    ///         the bill's carrier, and only for containers on the current version of the document.
    /// @param billId The title id.
    /// @param containerNumbers ISO 6346 numbers.
    /// @param proofs One Merkle proof per number against the bill's container root (docs/design.md §1.5).
    /// @param terms Terminal (must hold `TERMINAL`), optional return depot (`TERMINAL` too, or 0), window
    ///        (`validUntil` after `validFrom` and in the future).
    /// @return rightIds One id per container, in order.
    function grant(
        uint256 billId,
        string[] calldata containerNumbers,
        bytes32[][] calldata proofs,
        ReleaseTerms calldata terms
    ) external returns (bytes32[] memory rightIds);

    /// @notice Passes a granted right to another active member organisation (consignee → forwarder →
    ///         haulier). Only the holder. Clears any release code.
    /// @param rightId The right id.
    /// @param nominee The new holder.
    function nominate(bytes32 rightId, uint32 nominee) external;

    /// @notice Sets the hash of a one-time release code (see {releaseCodeHash}) for a haulier without an
    ///         account; 0 clears it. Only the holder, while granted. The code itself never reaches the chain.
    /// @param rightId The right id.
    /// @param codeHash The code hash.
    function setReleaseCode(bytes32 rightId, bytes32 codeHash) external;

    /// @notice Revokes an unused right. Only the carrier that granted it.
    /// @param rightId The right id.
    function revoke(bytes32 rightId) external;

    /// @notice Records gate-out (EIR out) when the container is release-ready: the bill is accomplished (or
    ///         a live SWB), an effective customs release is on the bill or the container, no effective hold is
    ///         on either, the right is granted and within its window, and the haulier is the holder or the
    ///         presented code matches. Only the right's terminal.
    /// @param billId The title id.
    /// @param containerNumber The equipment number.
    /// @param haulier The truck's haulier organisation as identified at the gate (0 = none).
    /// @param codeDigest `keccak256(code)` of the presented one-time code (0 when the haulier is the holder);
    ///        the code itself never travels, so a dropped or reverted gate-out reveals nothing usable.
    /// @param eir The equipment interchange data.
    function gateOut(
        uint256 billId,
        string calldata containerNumber,
        uint32 haulier,
        bytes32 codeDigest,
        EquipmentInterchange calldata eir
    ) external;

    /// @notice Records gate-in (EIR in) of the returned container after its gate-out. Only the right's
    ///         terminal or the depot the right names.
    /// @param billId The title id.
    /// @param containerNumber The equipment number.
    /// @param eir The equipment interchange data.
    function gateIn(uint256 billId, string calldata containerNumber, EquipmentInterchange calldata eir) external;

    /// @notice The stored right (all zero if unknown).
    /// @param rightId The right id.
    /// @return The right.
    function releaseRight(bytes32 rightId) external view returns (ReleaseRight memory);

    /// @notice The release-code hash of a right (0 = none).
    /// @param rightId The right id.
    /// @return The hash.
    function releaseCodeOf(bytes32 rightId) external view returns (bytes32);

    /// @notice The id of the right for a container from a bill: `keccak256(abi.encode(billId, containerSubject))`.
    /// @param billId The title id.
    /// @param containerNumber The ISO 6346 number.
    /// @return The right id.
    function rightIdOf(uint256 billId, string calldata containerNumber) external pure returns (bytes32);

    /// @notice The stored hash of a release code: `keccak256(abi.encode(rightId, codeDigest))` with
    ///         `codeDigest = keccak256(code)`. The right id is the salt, so no table can be precomputed across
    ///         rights; the code must carry at least 96 random bits (the node makes 128) so the hash cannot be
    ///         brute-forced.
    /// @param rightId The right id.
    /// @param codeDigest `keccak256(code)`.
    /// @return The hash to pass to {setReleaseCode}.
    function releaseCodeHash(bytes32 rightId, bytes32 codeDigest) external pure returns (bytes32);

    /// @notice The id of the latest record of a right (0 if never granted).
    /// @param rightId The right id.
    /// @return The record id.
    function lastRecord(bytes32 rightId) external view returns (bytes32);
}
