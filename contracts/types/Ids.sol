// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Identifiers shared by every PortLedger contract (docs/design.md §1.5)
/// @notice Organisation ids are small sequential integers (`uint32`, 0 = none) so that the
///         parties of a bill pack into one storage slot.
library Ids {
    /// @notice Title id = ERC-721 token id = uint256(keccak256(abi.encode(carrierOrgId, transportDocumentReference))).
    function titleId(uint32 carrierOrg, string memory transportDocumentReference) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(uint256(carrierOrg), transportDocumentReference)));
    }

    /// @notice Attestation subject of a container: keccak256(abi.encode("ISO6346", containerNumber)).
    function containerSubject(string memory containerNumber) internal pure returns (bytes32) {
        return keccak256(abi.encode("ISO6346", containerNumber));
    }

    /// @notice Attestation subject of a container under one bill (customs releases and holds per container):
    ///         keccak256(abi.encode("BILL_CONTAINER", billId, containerNumber)).
    function billContainerSubject(uint256 billId, string memory containerNumber) internal pure returns (bytes32) {
        return keccak256(abi.encode("BILL_CONTAINER", billId, containerNumber));
    }

    /// @notice Attestation subject of one pledge (its default): keccak256(abi.encode("PLEDGE", billId, nonce)).
    function pledgeSubject(uint256 billId, uint32 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encode("PLEDGE", billId, nonce));
    }

    /// @notice Leaf of a container number in a bill's container root (OpenZeppelin's standard double hash,
    ///         so a leaf can never be read as an inner node).
    function containerLeaf(string memory containerNumber) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(containerNumber))));
    }

    /// @notice Attestation subject of an organisation: its id left-padded to 32 bytes.
    function orgSubject(uint32 org) internal pure returns (bytes32) {
        return bytes32(uint256(org));
    }

    /// @notice The stable ERC-721 owner address of an organisation; it does not depend on any key,
    ///         so rotating member accounts never strands a title.
    function orgAddress(uint32 org) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("PortLedger.organisation", uint256(org))))));
    }
}
