// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Life of a release right (docs/design.md §1.3). `NONE` = never granted. A revoked right may be granted
///         again; a used one (gated out, returned) may not.
enum ReleaseStatus {
    NONE,
    GRANTED,
    REVOKED,
    GATED_OUT,
    GATED_IN
}

/// @notice A release right, one storage slot (4 * 32 + 2 * 48 + 8 + 16 = 248 bits) plus an optional
///         release-code hash.
/// @dev The right id is `keccak256(abi.encode(billId, containerSubject))`, so the B/L and the container are
///      the key rather than stored fields, and "one active right per container and B/L" holds by
///      construction. Each record of the right (grant, nomination, code, revocation, gate-out, gate-in) has
///      id `keccak256(abi.encode(rightId, step))`; its predecessor is step - 1 (for the first grant: the
///      title id), so the causal chain can be followed from the events alone.
struct ReleaseRight {
    uint32 carrier; // granting carrier organisation (the bill's carrier)
    uint32 holder; // organisation currently entitled to pick the container up
    uint32 terminal; // terminal organisation that may gate the container out (and in)
    uint32 depot; // depot organisation that may also gate the empty container in; 0 = only the terminal
    uint48 validFrom; // first second of the pick-up window
    uint48 validUntil; // last second of the pick-up window
    ReleaseStatus status;
    uint16 step; // number of records written for this right so far
}

/// @notice What a carrier names when it grants rights.
struct ReleaseTerms {
    uint32 terminal; // terminal organisation (TERMINAL role) that gates the container out
    uint32 depot; // depot organisation (TERMINAL role) that may also gate the empty return in; 0 = none
    uint48 validFrom; // first second of the pick-up window
    uint48 validUntil; // last second of the pick-up window
}

/// @notice Equipment interchange receipt data recorded at gate-out and gate-in (carried in events only).
struct EquipmentInterchange {
    bool laden; // true = full, false = empty
    bytes32 sealsHash; // keccak256(abi.encode(string[] sealNumbers)); 0 when unsealed
    string[] damageCodes; // condition / damage codes observed at the gate; empty = sound
    bytes32 truckPlateHash; // keccak256 of the truck licence plate (personal data stays off chain)
    uint64 eventTime; // time of the gate move as reported by the gate system
    bytes32 eirChecksum; // SHA-256 of the EIR document
}
