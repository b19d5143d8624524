// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Membership cache kept in sync by the Consortium
/// @notice Membership changes are rare and title actions are frequent, so every contract that checks
///         membership keeps a local copy that the Consortium pushes to it. A check then costs one
///         storage read in the contract itself instead of a call to the Consortium.
interface IMemberCache {
    /// @notice The caller is not the Consortium this cache follows.
    /// @param caller The address that tried to update the cache.
    error MemberCacheUnauthorized(address caller);

    /// @notice Records the organisation an account acts for, with that organisation's current state.
    /// @param account The member account.
    /// @param org The organisation id; 0 removes the account.
    /// @param roles The organisation's role bitmask (see {RoleSet}).
    /// @param suspended Whether the organisation is suspended.
    function syncMember(address account, uint32 org, uint16 roles, bool suspended) external;

    /// @notice Records an organisation's current roles and suspension.
    /// @param org The organisation id.
    /// @param roles The organisation's role bitmask.
    /// @param suspended Whether the organisation is suspended.
    function syncOrganisation(uint32 org, uint16 roles, bool suspended) external;
}
