// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISO 6346 container numbers
/// @notice Same rule as `ledger.domain.values.check_container_number`: four capital letters (owner code and
///         category `U`, `J` or `Z`), six serial digits and a check digit; the weighted sum modulo 11 with
///         remainder 10 mapping to 0.
library ContainerNumbers {
    /// @dev Letter values A..Z (10..38 skipping the multiples of 11), one byte each.
    bytes26 private constant _LETTER_VALUES = 0x0a0c0d0e0f101112131415171819_1a1b1c1d1e1f20_2223242526;

    /// @notice Whether `number` is a valid ISO 6346 container number.
    function isValid(string calldata number) internal pure returns (bool) {
        bytes calldata b = bytes(number);
        if (b.length != 11) return false;
        uint8 category = uint8(b[3]);
        if (category != 0x55 && category != 0x4a && category != 0x5a) return false; // U, J, Z
        uint256 sum = 0;
        for (uint256 i = 0; i < 11; ++i) {
            uint8 c = uint8(b[i]);
            uint256 value;
            if (i < 4) {
                if (c < 0x41 || c > 0x5a) return false;
                value = uint8(_LETTER_VALUES[c - 0x41]);
            } else {
                if (c < 0x30 || c > 0x39) return false;
                value = c - 0x30;
            }
            if (i == 10) return value == (sum % 11) % 10;
            sum += value << i;
        }
        return false; // unreachable: the loop returns at i == 10
    }
}
