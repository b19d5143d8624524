// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SchemaRecord, AttestationRequest, Attestation, Report, ReportAction} from "../types/AttestationTypes.sol";

/// @title Attestation registry (docs/design.md §1.4, §1.5)
/// @notice EAS-shaped schemas and attestations about titles, containers and organisations, with
///         `isEffective`, one-step replacement, mutual recognition and k-of-n signed agency reports. Schemas
///         are administered by governance (the Consortium executes approved proposals); the deployer
///         registers the well-known ones and installs the first signer sets before it seals its bootstrap.
interface IAttestationRegistry {
    // ------------------------------------------------------------------ errors

    /// @notice The caller may not administer schemas or signer sets: only the Consortium (executing an
    ///         approved proposal) may, and the deployer until {sealSchemaBootstrap} (not deactivation).
    /// @param caller The calling account.
    error AttestationNotSchemaAdmin(address caller);

    /// @notice A permanent schema can never be deactivated (the release gate and the pledge overlay
    ///         consult it).
    /// @param schemaId The schema id.
    error AttestationSchemaPermanent(bytes32 schemaId);

    /// @notice The schema is reports-only: only an accepted k-of-n report attests or revokes.
    /// @param schemaId The schema id.
    error AttestationSchemaReportsOnly(bytes32 schemaId);

    /// @notice The subject already holds the most unrevoked attestations a revocable schema allows (64).
    /// @param subject The subject.
    /// @param schemaId The schema id.
    error AttestationSubjectFull(bytes32 subject, bytes32 schemaId);

    /// @notice The attester already holds the most unrevoked attestations one organisation may keep on one
    ///         subject and schema (8), so that no member can fill a subject's set and lock the others out.
    /// @param subject The subject.
    /// @param schemaId The schema id.
    /// @param attester The attesting organisation.
    error AttestationAttesterFull(bytes32 subject, bytes32 schemaId, uint32 attester);

    /// @notice A schema with this id is already registered.
    /// @param schemaId The schema id.
    error AttestationSchemaExists(bytes32 schemaId);

    /// @notice The schema record is malformed (no attester roles, or empty definition).
    /// @param schemaId The id the record would have.
    error AttestationSchemaInvalid(bytes32 schemaId);

    /// @notice No schema with this id, or the schema is deactivated.
    /// @param schemaId The schema id.
    error AttestationSchemaInactive(bytes32 schemaId);

    /// @notice The caller is not an active member of an organisation accredited for the schema.
    /// @param schemaId The schema id.
    /// @param caller The calling account.
    error AttestationNotAttester(bytes32 schemaId, address caller);

    /// @notice The data of an expiring schema does not start with a `validUntil` in the future.
    /// @param schemaId The schema id.
    /// @param validUntil The decoded `validUntil` (0 when the data is shorter than one word).
    error AttestationInvalidExpiry(bytes32 schemaId, uint256 validUntil);

    /// @notice The referenced attestation does not exist.
    /// @param refUID The referenced uid.
    error AttestationUnknownReference(bytes32 refUID);

    /// @notice No attestation with this uid.
    /// @param uid The uid.
    error AttestationUnknown(bytes32 uid);

    /// @notice The schema of the attestation is not revocable.
    /// @param uid The uid.
    /// @param schemaId Its schema.
    error AttestationIrrevocable(bytes32 uid, bytes32 schemaId);

    /// @notice The attestation is already revoked.
    /// @param uid The uid.
    /// @param revocationTime When it was revoked.
    error AttestationAlreadyRevoked(bytes32 uid, uint64 revocationTime);

    /// @notice The caller does not act for the organisation that made the attestation.
    /// @param uid The uid.
    /// @param caller The calling account.
    error AttestationNotOwnAttestation(bytes32 uid, address caller);

    /// @notice A replacement must keep the schema and subject of the attestation it replaces.
    /// @param uid The replaced uid.
    error AttestationReplacementMismatch(bytes32 uid);

    /// @notice The caller's organisation may not recognise this attestation (it made it, or is not
    ///         accredited for the schema, or already recognised it).
    /// @param uid The uid.
    /// @param org The caller's organisation (0 when the caller is no active member).
    error AttestationCannotRecognise(bytes32 uid, uint32 org);

    /// @notice A signer set is malformed: empty, a zero or unordered/duplicate address, or a threshold of
    ///         0 or above the number of signers.
    /// @param schemaId The schema id.
    /// @param signers The number of signers given.
    /// @param threshold The threshold given.
    error AttestationInvalidSignerSet(bytes32 schemaId, uint256 signers, uint8 threshold);

    /// @notice The agency has no signer set for the schema.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    error AttestationNoSignerSet(uint32 agency, bytes32 schemaId);

    /// @notice The report's deadline has passed.
    /// @param deadline The signed deadline.
    /// @param timestamp The current block time.
    error AttestationReportExpired(uint64 deadline, uint256 timestamp);

    /// @notice Fewer valid signatures than the agency's threshold.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param signatures The number of signatures given.
    /// @param threshold The required number.
    error AttestationReportBelowThreshold(uint32 agency, bytes32 schemaId, uint256 signatures, uint8 threshold);

    /// @notice A signature could not be parsed or recovered.
    /// @param index Its position in the list.
    error AttestationReportInvalidSignature(uint256 index);

    /// @notice A signature was made by an address that is not in the agency's signer set for the schema
    ///         (also the outcome of a signature over another chain's or contract's EIP-712 domain).
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param signer The recovered address.
    error AttestationReportUnknownSigner(uint32 agency, bytes32 schemaId, address signer);

    /// @notice The same signer signed twice.
    /// @param signer The repeated signer.
    error AttestationReportDuplicateSigner(address signer);

    /// @notice Signatures must be ordered by ascending signer address (duplicate detection in O(k)).
    /// @param previous The previous signer.
    /// @param signer The signer that is not above it.
    error AttestationReportSignersUnordered(address previous, address signer);

    /// @notice A report with this source id was already accepted: the relayer may treat this as done.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param sourceId The source record id.
    /// @param uid The attestation made from the accepted report.
    error AttestationSourceAlreadyAccepted(uint32 agency, bytes32 schemaId, bytes32 sourceId, bytes32 uid);

    /// @notice The agency is unknown or no longer holds any of the schema's roles, so its reports (and
    ///         signer sets) are not accepted.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    error AttestationAgencyNotAccredited(uint32 agency, bytes32 schemaId);

    /// @notice The agency is suspended: its reports and signer-set changes are refused.
    /// @param agency The agency organisation.
    error AttestationAgencySuspended(uint32 agency);

    /// @notice A REVOKE report's target is not an unrevoked attestation of this agency, schema and subject
    ///         (or the schema is not revocable).
    /// @param target The uid given.
    error AttestationReportTargetInvalid(bytes32 target);

    /// @notice A signed signer-set change has passed its deadline.
    /// @param deadline The signed deadline.
    /// @param timestamp The current block time.
    error AttestationSignerChangeExpired(uint64 deadline, uint256 timestamp);

    /// @notice The report's sequence is not above the last accepted one for (agency, schema, subject).
    /// @param sequence The report's sequence.
    /// @param lastSequence The last accepted sequence.
    error AttestationReportStale(uint64 sequence, uint64 lastSequence);

    // ------------------------------------------------------------------ events

    /// @notice A schema was registered.
    /// @param schemaId The schema id.
    /// @param name Well-known name (also in `record`, repeated for log readers).
    /// @param record The schema record.
    /// @param registrar The account that registered it (the Consortium, or the deployer at bootstrap).
    event SchemaRegistered(bytes32 indexed schemaId, string name, SchemaRecord record, address registrar);

    /// @notice The deployer gave up its right to administer schemas.
    /// @param by The deployer.
    event SchemaBootstrapSealed(address by);

    /// @notice A schema was activated or deactivated; attestations of an inactive schema are not effective.
    /// @param schemaId The schema id.
    /// @param active The new state.
    /// @param by The account that changed it (the Consortium).
    event SchemaActiveChanged(bytes32 indexed schemaId, bool active, address by);

    /// @notice An attestation was made (directly or from a report). The only place the data is kept in full.
    /// @param uid The new uid.
    /// @param schemaId The schema.
    /// @param subject The subject.
    /// @param attester The attesting organisation.
    /// @param refUID The referenced attestation, or 0.
    /// @param expirationTime Expiry, 0 = never.
    /// @param data The attested data.
    /// @param by The account that sent the transaction (a member, or any relayer for reports).
    event Attested(
        bytes32 indexed uid,
        bytes32 indexed schemaId,
        bytes32 indexed subject,
        uint32 attester,
        bytes32 refUID,
        uint64 expirationTime,
        bytes data,
        address by
    );

    /// @notice An attestation was revoked.
    /// @param uid The uid.
    /// @param schemaId Its schema.
    /// @param subject Its subject.
    /// @param by The revoking account.
    event Revoked(bytes32 indexed uid, bytes32 indexed schemaId, bytes32 indexed subject, address by);

    /// @notice An attestation was replaced by a new one in one step (the old one is revoked; the new one
    ///         refers to it through `refUID`).
    /// @param oldUid The replaced uid.
    /// @param newUid The replacement.
    event Replaced(bytes32 indexed oldUid, bytes32 indexed newUid);

    /// @notice Another organisation recognised an attestation.
    /// @param uid The uid.
    /// @param org The recognising organisation.
    /// @param recognitions The new number of recognitions.
    event Recognised(bytes32 indexed uid, uint32 indexed org, uint16 recognitions);

    /// @notice An agency's oracle signers and threshold for a schema were set (replacing any earlier set),
    ///         by the deployer at bootstrap, by governance, or by a k-of-n change of the previous set.
    /// @param agency The agency organisation.
    /// @param schemaId The schema.
    /// @param signers The signer addresses, ascending.
    /// @param threshold Signatures required per report.
    /// @param epoch Counter of signer sets of this (agency, schema), from 1.
    event ReportSignersSet(
        uint32 indexed agency,
        bytes32 indexed schemaId,
        address[] signers,
        uint8 threshold,
        uint32 epoch
    );

    /// @notice A k-of-n report was accepted (after the {Attested} or {Revoked} event it caused).
    /// @param uid The attestation made (ATTEST) or revoked (REVOKE).
    /// @param agency The agency organisation.
    /// @param sourceId The source record id.
    /// @param action What the report did.
    /// @param sequence The report's sequence.
    /// @param signers The signers whose signatures were checked, ascending.
    event ReportAccepted(
        bytes32 indexed uid,
        uint32 indexed agency,
        bytes32 indexed sourceId,
        ReportAction action,
        uint64 sequence,
        address[] signers
    );

    // ------------------------------------------------------------------ schemas

    /// @notice Registers a schema. Only the Consortium (an approved `REGISTER_SCHEMA` proposal) and the
    ///         deployer until {sealSchemaBootstrap} (deployment registers the well-known schemas that way).
    /// @param schema The schema record.
    /// @return schemaId The schema id (see {SchemaRecord}).
    function registerSchema(SchemaRecord calldata schema) external returns (bytes32 schemaId);

    /// @notice Ends the deployer's administration for good. Only the deployer, once.
    function sealSchemaBootstrap() external;

    /// @notice Activates or deactivates a schema. Only the Consortium (an approved `SET_SCHEMA_ACTIVE`
    ///         proposal); a permanent schema is never deactivated.
    /// @param schemaId The schema id.
    /// @param active The new state.
    function setSchemaActive(bytes32 schemaId, bool active) external;

    /// @notice The schema record.
    /// @param schemaId The schema id.
    /// @return record The record (empty if unknown).
    /// @return active Whether it is registered and active.
    function schema(bytes32 schemaId) external view returns (SchemaRecord memory record, bool active);

    /// @notice The id a schema record has (pure function of the record).
    /// @param schema The schema record.
    /// @return The schema id.
    function schemaIdOf(SchemaRecord calldata schema) external pure returns (bytes32);

    // ------------------------------------------------------------------ attestations

    /// @notice Attests as the caller's organisation, which must be active and hold one of the schema's
    ///         roles. Refused for a reports-only schema.
    /// @param request Schema, subject, reference and data.
    /// @return uid The new attestation's uid.
    function attest(AttestationRequest calldata request) external returns (bytes32 uid);

    /// @notice Revokes an attestation of a revocable schema made by the caller's organisation. Refused for a
    ///         reports-only schema.
    /// @param uid The uid.
    function revoke(bytes32 uid) external;

    /// @notice Revokes `uid` and attests `request` (same schema and subject) in one step; the new attestation
    ///         refers to the old one (its `refUID` is forced to `uid`). Refused for a reports-only schema.
    /// @param uid The attestation to replace.
    /// @param request The replacement (its `refUID` is ignored).
    /// @return newUid The replacement's uid.
    function replace(bytes32 uid, AttestationRequest calldata request) external returns (bytes32 newUid);

    /// @notice Recognises another organisation's attestation; the caller's organisation must be active and
    ///         accredited for the schema, and may recognise each attestation once.
    /// @param uid The uid.
    function recognise(bytes32 uid) external;

    /// @notice The stored attestation (all zero if unknown); its data is in the {Attested} event.
    /// @param uid The uid.
    /// @return The attestation.
    function attestation(bytes32 uid) external view returns (Attestation memory);

    /// @notice Whether an attestation exists, is not revoked, not expired, its attester organisation still holds
    ///         one of the schema's roles, the schema is active and it has the recognitions the schema requires.
    /// @param uid The uid.
    /// @return Whether it is effective now.
    function isEffective(bytes32 uid) external view returns (bool);

    /// @notice The most recent effective attestation about `subject` under `schemaId`, or 0 if none.
    /// @dev Reads only the unrevoked attestations of the pair (at most 64 for a revocable schema), never the
    ///      revoked history.
    /// @param subject The subject.
    /// @param schemaId The schema id.
    /// @return uid The uid, or 0.
    function latestEffective(bytes32 subject, bytes32 schemaId) external view returns (bytes32 uid);

    /// @notice An effective attestation about `subject` under `schemaId` attested at or after `since`, or 0.
    ///         What the release gate asks (for holds with `since` 0: any effective hold).
    /// @param subject The subject.
    /// @param schemaId The schema id.
    /// @param since Earliest attestation time that counts.
    /// @return uid The uid, or 0.
    function effectiveSince(bytes32 subject, bytes32 schemaId, uint64 since) external view returns (bytes32 uid);

    /// @notice How many attestations were ever made about `subject` under `schemaId`.
    /// @param subject The subject.
    /// @param schemaId The schema id.
    /// @return The count.
    function attestationCount(bytes32 subject, bytes32 schemaId) external view returns (uint256);

    /// @notice How many attestations about `subject` under `schemaId` are unrevoked.
    /// @param subject The subject.
    /// @param schemaId The schema id.
    /// @return The count.
    function unrevokedCount(bytes32 subject, bytes32 schemaId) external view returns (uint256);

    // ------------------------------------------------------------------ k-of-n reports

    /// @notice Sets an agency's oracle signers and threshold for a schema, replacing any earlier set. Only
    ///         the Consortium (an approved `SET_REPORT_SIGNERS` proposal) and the deployer until
    ///         {sealSchemaBootstrap}. The agency must be accredited for the schema.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param signers Signer addresses, strictly ascending, non-zero.
    /// @param threshold Signatures required per report (1 ≤ threshold ≤ signers).
    function setReportSigners(uint32 agency, bytes32 schemaId, address[] calldata signers, uint8 threshold) external;

    /// @notice Replaces an agency's signer set with one its current set signed: at least `threshold`
    ///         signatures of the current signers (ascending) over the EIP-712 `SignerSetChange` (see
    ///         {SIGNER_SET_CHANGE_TYPEHASH}), which names the current epoch, so a change is used once.
    ///         Anyone may relay; a suspended agency's change is refused.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param signers New signer addresses, strictly ascending, non-zero.
    /// @param threshold New threshold.
    /// @param deadline Last block time at which the change may be accepted.
    /// @param signatures Signatures of the current set, ascending by signer.
    function changeReportSigners(
        uint32 agency,
        bytes32 schemaId,
        address[] calldata signers,
        uint8 threshold,
        uint64 deadline,
        bytes[] calldata signatures
    ) external;

    /// @notice The current signer set of an agency for a schema.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @return signers The signers, ascending.
    /// @return threshold The threshold (0 = none set).
    function reportSigners(
        uint32 agency,
        bytes32 schemaId
    ) external view returns (address[] memory signers, uint8 threshold);

    /// @notice The epoch of an agency's signer set for a schema (0 = none set); a change signs it.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @return The epoch.
    function signerEpoch(uint32 agency, bytes32 schemaId) external view returns (uint32);

    /// @notice Accepts a k-of-n signed agency report: attests as the agency, or revokes one of its
    ///         attestations. Anyone may relay.
    /// @dev Each signature is a 65-byte (r, s, v) ECDSA signature of the EIP-712 digest of `Report` (see
    ///      {REPORT_TYPEHASH}) with `payloadHash = keccak256(data)`, domain name "PortLedger
    ///      AttestationRegistry", version "2", this chain and this contract. Every signature given must be
    ///      valid and by a current signer, ordered by ascending signer address (the duplicate check is a
    ///      comparison with the previous signer, O(k)). The agency is part of the signed struct, must exist,
    ///      not be suspended and still be accredited for the schema; it need not be the sender.
    /// @param report The signed fields.
    /// @param data The attestation data (ABI encoding of the schema's fields; for REVOKE, any reason data).
    /// @param signatures At least `threshold` signatures by distinct registered signers, ascending.
    /// @return uid The attestation made or revoked.
    function submitReport(
        Report calldata report,
        bytes calldata data,
        bytes[] calldata signatures
    ) external returns (bytes32 uid);

    /// @notice The EIP-712 digest signers sign for a report with this data.
    /// @param report The signed fields.
    /// @param data The attestation data.
    /// @return The digest.
    function reportDigest(Report calldata report, bytes calldata data) external view returns (bytes32);

    /// @notice The EIP-712 digest of a signer-set change.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param signers New signers.
    /// @param threshold New threshold.
    /// @param epoch The epoch of the set it replaces.
    /// @param deadline Deadline.
    /// @return The digest.
    function signerSetChangeDigest(
        uint32 agency,
        bytes32 schemaId,
        address[] calldata signers,
        uint8 threshold,
        uint32 epoch,
        uint64 deadline
    ) external view returns (bytes32);

    /// @notice The EIP-712 type hash of `Report`.
    /// @return The type hash.
    function REPORT_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 type hash of `SignerSetChange`.
    /// @return The type hash.
    function SIGNER_SET_CHANGE_TYPEHASH() external view returns (bytes32);

    /// @notice The attestation made (or revoked) by an accepted report, or 0.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param sourceId The source record id.
    /// @return uid The uid, or 0 if no report with this source id was accepted.
    function reportAttestation(uint32 agency, bytes32 schemaId, bytes32 sourceId) external view returns (bytes32 uid);

    /// @notice The last accepted report sequence for (agency, schema, subject), 0 if none.
    /// @param agency The agency organisation.
    /// @param schemaId The schema id.
    /// @param subject The subject.
    /// @return The sequence.
    function lastReportSequence(uint32 agency, bytes32 schemaId, bytes32 subject) external view returns (uint64);
}
