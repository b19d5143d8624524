// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ContainerNumbers} from "../release/ContainerNumbers.sol";

/// @title Test-only window on the internal ISO 6346 check (never deployed)
/// @notice Lets the parity test compare the on-chain rule with `ledger.domain.values` on many inputs.
contract ContainerNumbersProbe {
    /// @notice Whether `number` is a valid ISO 6346 container number by the on-chain rule.
    /// @param number The candidate.
    /// @return Whether it is valid.
    function isValid(string calldata number) external pure returns (bool) {
        return ContainerNumbers.isValid(number);
    }
}
