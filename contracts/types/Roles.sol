// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Consortium roles
/// @notice The roles an organisation can hold. On chain a set of roles is a `uint16` bitmask with
///         bit `uint8(role)` set for each role held (see {RoleSet}).
enum Role {
    CARRIER, // 0: shipping line: issues e-B/Ls, accepts surrenders, grants container releases
    TRADER, // 1: shipper, consignee, forwarder: holds, endorses, transfers, surrenders
    BANK, // 2: takes e-B/Ls as collateral (endorsement or registered pledge)
    TERMINAL, // 3: checks release rights at the gate, records EIRs
    HAULIER, // 4: picks up containers on a nominated release right
    CUSTOMS, // 5: customs release / hold, credit levels
    MARITIME, // 6: maritime administration: vessel events
    BORDER, // 7: border inspection
    PORT_AUTHORITY // 8: port office: governs membership
}

/// @notice Helpers over a role bitmask.
library RoleSet {
    /// @notice The bit of `role` in a role bitmask.
    function bit(Role role) internal pure returns (uint16) {
        return uint16(1) << uint8(role);
    }

    /// @notice Whether `roles` contains `role`.
    function has(uint16 roles, Role role) internal pure returns (bool) {
        return roles & bit(role) != 0;
    }
}
