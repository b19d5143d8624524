// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill} from "../types/BillTypes.sol";

/// @title The part of the bill of lading registry that container release reads
interface IBillView {
    /// @notice The state of a title (all zero, status `NONE`, if unknown).
    /// @param billId The title id.
    /// @return The bill.
    function bill(uint256 billId) external view returns (Bill memory);
}
