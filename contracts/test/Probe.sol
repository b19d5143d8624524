// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Test-only contract (never deployed outside tests) for the chain client's own tests.
contract Probe {
    /// @notice Raised by {fail} with its arguments.
    error ProbeFailed(uint256 code, address who, string why);

    /// @notice Emitted by {store}.
    event Stored(address indexed by, uint256 value, string note);

    struct Pair {
        uint32 left;
        address right;
    }

    uint256 private _value;

    /// @notice Stores a value and emits {Stored}.
    function store(uint256 value, string calldata note) external {
        _value = value;
        emit Stored(msg.sender, value, note);
    }

    /// @notice The stored value.
    function value() external view returns (uint256) {
        return _value;
    }

    /// @notice Always reverts with {ProbeFailed}.
    function fail(uint256 code, string calldata why) external view {
        revert ProbeFailed(code, msg.sender, why);
    }

    /// @notice Returns a struct, to test struct decoding.
    function pair() external view returns (Pair memory) {
        return Pair(7, msg.sender);
    }
}
