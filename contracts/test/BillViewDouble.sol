// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill} from "../types/BillTypes.sol";
import {IBillView} from "../release/IBillView.sol";
import {BillPacking} from "../bill/BillPacking.sol";

/// @title Test-only stand-in for the bill registry's release view (never deployed)
/// @notice The real registry never moves a title out of `ACCOMPLISHED`, so the gate-out re-check of the
///         title cannot be reached with it; this double lets a test set any state to prove the check exists.
contract BillViewDouble is IBillView {
    struct Entry {
        Bill bill;
        bytes24 containerRoot;
        uint64 issuedAt;
    }

    mapping(uint256 billId => Entry) private _entries;

    /// @notice Sets the state returned for `billId`.
    /// @param billId The title id.
    /// @param b The state to return.
    /// @param containerRoot The container root to return.
    /// @param issuedAt The issue time to return.
    function setBill(uint256 billId, Bill calldata b, bytes24 containerRoot, uint64 issuedAt) external {
        _entries[billId] = Entry(b, containerRoot, issuedAt);
    }

    /// @inheritdoc IBillView
    function releaseFacts(uint256 billId) external view returns (uint256, bytes24, uint64) {
        Entry storage e = _entries[billId];
        return (BillPacking.pack(e.bill), e.containerRoot, e.issuedAt);
    }
}
