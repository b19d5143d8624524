// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The part of the bill of lading registry that container release reads
interface IBillView {
    /// @notice The state of a title as its packed storage word (all zero if unknown; unpack with
    ///         {BillPacking}) with the container root (first 24 bytes) and issue time of its current version,
    ///         in one call: three words instead of an eleven-field struct to decode on every grant and gate-out.
    /// @param billId The title id.
    /// @return billWord The bill, packed.
    /// @return containerRoot Root of the current version's container numbers.
    /// @return issuedAt When the current version was issued.
    function releaseFacts(
        uint256 billId
    ) external view returns (uint256 billWord, bytes24 containerRoot, uint64 issuedAt);
}
