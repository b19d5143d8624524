// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill} from "../types/BillTypes.sol";

/// @title Packing of a {Bill} into one storage word
/// @notice Same bit layout as the compiler's packing of `struct Bill` (fields from the lowest bits up).
///         The registry stores the raw word so that an action costs exactly one SLOAD and one SSTORE of
///         the title's state: writing the struct field by field would re-read and re-write the slot once
///         per field.
library BillPacking {
    /// @notice The last transfer/endorsement may still be rejected by its recipient (cleared by any later
    ///         action that changes the title, and by SIGN of the recipient of a transfer).
    uint8 internal constant F_REJECTABLE = 1;
    /// @notice The title holder became holder by a plain ENDORSE and cannot endorse further.
    uint8 internal constant F_CLOSED = 2;
    /// @notice F_CLOSED before the last transfer/endorsement (restored by REJECT). Must be F_CLOSED << 1.
    uint8 internal constant F_PREV_CLOSED = 4;
    /// @notice The pending / accepted surrender for amendment has reason SWTP (switch to paper allowed).
    uint8 internal constant F_SWTP = 8;
    /// @notice With F_REJECTABLE: the last action was an endorsement, so its recipient is the title holder
    ///         (not the possessor) and REJECT restores only the title holder.
    uint8 internal constant F_ENDORSED = 16;

    /// @notice Packs a bill into its storage word.
    /// @dev Assembly over the memory struct (11 consecutive words, fields in declaration order): the
    ///      compiler's field-by-field code with enum range checks costs about twice as much, on every action.
    function pack(Bill memory b) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := or(
                or(
                    or(and(mload(b), 0xffffffff), shl(32, and(mload(add(b, 0x20)), 0xffffffff))),
                    or(shl(64, and(mload(add(b, 0x40)), 0xffffffff)), shl(96, and(mload(add(b, 0x60)), 0xffffffff)))
                ),
                or(
                    or(shl(128, and(mload(add(b, 0x80)), 0xffffffff)), shl(160, and(mload(add(b, 0xa0)), 0xffffffff))),
                    or(
                        or(shl(192, and(mload(add(b, 0xc0)), 0xff)), shl(200, and(mload(add(b, 0xe0)), 0xff))),
                        or(
                            shl(208, and(mload(add(b, 0x100)), 0xff)),
                            or(shl(216, and(mload(add(b, 0x120)), 0xffff)), shl(232, and(mload(add(b, 0x140)), 0xff)))
                        )
                    )
                )
            )
        }
    }

    /// @notice Unpacks a storage word (all zero = no such title).
    /// @dev Assembly for the same reason as {pack}. Enum fields need no range check: only {pack} of a
    ///      valid `Bill` ever writes the word.
    function unpack(uint256 w) internal pure returns (Bill memory b) {
        assembly ("memory-safe") {
            mstore(b, and(w, 0xffffffff))
            mstore(add(b, 0x20), and(shr(32, w), 0xffffffff))
            mstore(add(b, 0x40), and(shr(64, w), 0xffffffff))
            mstore(add(b, 0x60), and(shr(96, w), 0xffffffff))
            mstore(add(b, 0x80), and(shr(128, w), 0xffffffff))
            mstore(add(b, 0xa0), and(shr(160, w), 0xffffffff))
            mstore(add(b, 0xc0), and(shr(192, w), 0xff))
            mstore(add(b, 0xe0), and(shr(200, w), 0xff))
            mstore(add(b, 0x100), and(shr(208, w), 0xff))
            mstore(add(b, 0x120), and(shr(216, w), 0xffff))
            mstore(add(b, 0x140), and(shr(232, w), 0xff))
        }
    }

    /// @notice Same value as `Ids.orgAddress(org)`, hashed in scratch memory: the library version builds
    ///         `abi.encode("PortLedger.organisation", org)` through the allocator, which costs a few hundred
    ///         gas per call and every possession change needs two (ERC-721 `Transfer` from and to).
    function orgAddress(uint32 org) internal pure returns (address a) {
        assembly ("memory-safe") {
            let p := mload(0x40) // free memory, used without allocating: nothing else runs in between
            mstore(p, 0x40) // offset of the string
            mstore(add(p, 0x20), org)
            mstore(add(p, 0x40), 23) // length of "PortLedger.organisation"
            mstore(add(p, 0x60), 0x506f72744c65646765722e6f7267616e69736174696f6e000000000000000000)
            a := and(keccak256(p, 0x80), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @notice Same value as `Ids.titleId(carrier, ref)`, hashed from calldata in scratch memory: the library
    ///         version copies the reference to memory twice (argument and `abi.encode`), which issue pays for.
    function titleId(uint32 carrier, string calldata ref) internal pure returns (uint256 id) {
        assembly ("memory-safe") {
            let p := mload(0x40) // free memory, used without allocating: nothing else runs in between
            mstore(p, carrier)
            mstore(add(p, 0x20), 0x40) // offset of the string
            mstore(add(p, 0x40), ref.length)
            calldatacopy(add(p, 0x60), ref.offset, ref.length)
            mstore(add(add(p, 0x60), ref.length), 0) // zero the padding of the last word
            id := keccak256(p, add(0x60, and(add(ref.length, 31), not(31))))
        }
    }
}
