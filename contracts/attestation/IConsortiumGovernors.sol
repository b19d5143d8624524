// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The one Consortium question the attestation registry asks
/// @notice Schema administration is rare, so the registry asks the Consortium directly instead of caching
///         the governor set.
interface IConsortiumGovernors {
    /// @notice Whether `account` is a consortium governor.
    /// @param account The account.
    /// @return Whether it governs.
    function isGovernor(address account) external view returns (bool);
}
