// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice An attestation schema (docs/design.md §1.4). The id is `keccak256(abi.encode(name, definition,
///         revocable, expiring, reportsOnly, permanent, attesterRoles, requiredRecognitions))`.
/// @dev `definition` is the comma-separated ABI field list of the attestation data, e.g.
///      "string declarationNumber,uint64 releasedAt,string customsOfficeCode". For an `expiring` schema the
///      first field must be `uint64 validUntil`: the expiry of an attestation is then part of the attested
///      (and, for reports, signed) data rather than a separate argument.
struct SchemaRecord {
    string name; // well-known name, e.g. "CUSTOMS_RELEASE"
    string definition; // ABI field list of the data
    bool revocable; // judgements and states (holds, grades) are revocable; facts are not
    bool expiring; // data starts with `uint64 validUntil`, which becomes the attestation's expiry
    bool reportsOnly; // only accepted k-of-n reports attest and revoke; direct attest, revoke, replace refused
    bool permanent; // can never be deactivated (the schemas the release gate and the pledge overlay consult)
    uint16 attesterRoles; // role bitmask (see RoleSet): an attester org must hold at least one of them
    uint8 requiredRecognitions; // recognitions by other accredited organisations needed to be effective
}

/// @notice What an attester submits.
struct AttestationRequest {
    bytes32 schemaId; // the schema
    bytes32 subject; // a title id, a container subject or an organisation subject (docs/design.md §1.5)
    bytes32 refUID; // an earlier attestation this one refers to, or 0
    bytes data; // ABI encoding of the schema's fields
}

/// @notice A stored attestation. The data itself is carried by the `Attested` event (and the index built
///         from it); the chain keeps its keccak256 so that any copy can be checked against the record.
struct Attestation {
    bytes32 uid; // unique id
    bytes32 schemaId; // the schema
    bytes32 subject; // what it is about
    bytes32 refUID; // an earlier attestation it refers to, or 0
    uint32 attester; // attesting organisation
    uint64 time; // block time of the attestation
    uint64 expirationTime; // 0 = never expires
    uint64 revocationTime; // 0 = not revoked
    uint16 recognitions; // number of distinct organisations that recognised it
    bytes32 dataHash; // keccak256 of the data (the ABI encoding of the schema's fields)
}

/// @notice What a k-of-n report does: make an attestation, or revoke one of the agency's own.
enum ReportAction {
    ATTEST,
    REVOKE
}

/// @notice The EIP-712 struct an agency's oracle signers sign (docs/design.md §1.4), without the payload
///         itself: the registry computes `payloadHash = keccak256(data)` from the data it is given.
struct Report {
    uint32 agency; // the reporting agency: part of what is signed, so a report is never another agency's
    ReportAction action; // attest or revoke
    bytes32 target; // ATTEST: the reference uid (or 0); REVOKE: the agency's attestation to revoke
    bytes32 schema; // schema id
    bytes32 subject; // attestation subject
    bytes32 sourceId; // id of the source record (e.g. the hash of an EDIFACT message reference); used once
    uint64 sequence; // orders the reports of one agency about one (schema, subject); must increase
    uint64 deadline; // last block time at which the report may be accepted
}
