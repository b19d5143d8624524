// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Ids} from "../types/Ids.sol";

/// @title Test-only window on the shared identifiers (never deployed)
/// @notice Lets the parity test compare every on-chain identifier with `ledger.domain.ids`.
contract IdsProbe {
    /// @notice See {Ids.titleId}.
    function titleId(uint32 carrierOrg, string calldata documentReference) external pure returns (uint256) {
        return Ids.titleId(carrierOrg, documentReference);
    }

    /// @notice See {Ids.containerSubject}.
    function containerSubject(string calldata containerNumber) external pure returns (bytes32) {
        return Ids.containerSubject(containerNumber);
    }

    /// @notice See {Ids.billContainerSubject}.
    function billContainerSubject(uint256 billId, string calldata containerNumber) external pure returns (bytes32) {
        return Ids.billContainerSubject(billId, containerNumber);
    }

    /// @notice See {Ids.pledgeSubject}.
    function pledgeSubject(uint256 billId, uint32 nonce) external pure returns (bytes32) {
        return Ids.pledgeSubject(billId, nonce);
    }

    /// @notice See {Ids.orgSubject}.
    function orgSubject(uint32 org) external pure returns (bytes32) {
        return Ids.orgSubject(org);
    }

    /// @notice See {Ids.orgAddress}.
    function orgAddress(uint32 org) external pure returns (address) {
        return Ids.orgAddress(org);
    }

    /// @notice The root a proof leads to from a container's leaf, as the release gate computes it.
    /// @param containerNumber The container number.
    /// @param proof The sibling hashes.
    /// @return The 32-byte root (the registry keeps its first 24 bytes).
    function rootFrom(string calldata containerNumber, bytes32[] calldata proof) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, Ids.containerLeaf(containerNumber));
    }
}
