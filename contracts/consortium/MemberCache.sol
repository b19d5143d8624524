// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMemberCache} from "../interfaces/IMemberCache.sol";

/// @title Local membership cache (see {IMemberCache})
/// @notice Inherited by the registries. Only the Consortium given at construction may write it.
abstract contract MemberCache is IMemberCache {
    /// @dev One slot per account: the organisation it acts for and that organisation's state.
    struct Member {
        uint32 org;
        uint16 roles;
        bool suspended;
    }

    /// @dev One slot per organisation; `exists` distinguishes "no roles" from "unknown".
    struct OrgState {
        bool exists;
        uint16 roles;
        bool suspended;
    }

    /// @notice The Consortium that owns membership.
    address public immutable consortium;

    mapping(address account => Member) internal _members;
    mapping(uint32 org => OrgState) internal _orgs;

    constructor(address consortium_) {
        consortium = consortium_;
    }

    modifier onlyConsortium() {
        if (msg.sender != consortium) revert MemberCacheUnauthorized(msg.sender);
        _;
    }

    /// @inheritdoc IMemberCache
    function syncMember(address account, uint32 org, uint16 roles, bool suspended) external onlyConsortium {
        if (org == 0) delete _members[account];
        else _members[account] = Member(org, roles, suspended);
    }

    /// @inheritdoc IMemberCache
    function syncOrganisation(uint32 org, uint16 roles, bool suspended) external onlyConsortium {
        _orgs[org] = OrgState(true, roles, suspended);
    }
}
