// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill} from "../types/BillTypes.sol";
import {IBillView} from "../release/IBillView.sol";

/// @title Test-only stand-in for the bill registry's `bill` view (never deployed)
/// @notice The real registry never moves a title out of `ACCOMPLISHED`, so the gate-out re-check of the
///         title cannot be reached with it; this double lets a test set any state to prove the check exists.
contract BillViewDouble is IBillView {
    mapping(uint256 billId => Bill) private _bills;

    /// @notice Sets the state returned for `billId`.
    /// @param billId The title id.
    /// @param b The state to return.
    function setBill(uint256 billId, Bill calldata b) external {
        _bills[billId] = b;
    }

    /// @inheritdoc IBillView
    function bill(uint256 billId) external view returns (Bill memory) {
        return _bills[billId];
    }
}
