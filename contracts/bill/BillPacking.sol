// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bill, BillKind, BillStatus, PledgeStatus} from "../types/BillTypes.sol";

/// @title Packing of a {Bill} into one storage word
/// @notice Same bit layout as the compiler's packing of `struct Bill` (fields from the lowest bits up).
///         The registry stores the raw word so that an action costs exactly one SLOAD and one SSTORE of
///         the title's state: writing the struct field by field would re-read and re-write the slot once
///         per field.
library BillPacking {
    /// @notice The last transfer/endorsement may still be rejected by its recipient (cleared by any later action).
    uint8 internal constant F_REJECTABLE = 1;
    /// @notice The title holder became holder by a plain ENDORSE and cannot endorse further.
    uint8 internal constant F_CLOSED = 2;
    /// @notice F_CLOSED before the last transfer/endorsement (restored by REJECT). Must be F_CLOSED << 1.
    uint8 internal constant F_PREV_CLOSED = 4;
    /// @notice The pending / accepted surrender for amendment has reason SWTP (switch to paper allowed).
    uint8 internal constant F_SWTP = 8;

    /// @notice Packs a bill into its storage word.
    function pack(Bill memory b) internal pure returns (uint256 w) {
        w =
            uint256(b.carrier) |
            (uint256(b.possessor) << 32) |
            (uint256(b.holder) << 64) |
            (uint256(b.prevPossessor) << 96) |
            (uint256(b.prevHolder) << 128) |
            (uint256(b.pledgee) << 160) |
            (uint256(uint8(b.status)) << 192) |
            (uint256(uint8(b.kind)) << 200) |
            (uint256(uint8(b.pledgeStatus)) << 208) |
            (uint256(b.version) << 216) |
            (uint256(b.flags) << 232);
    }

    /// @notice Unpacks a storage word (all zero = no such title).
    function unpack(uint256 w) internal pure returns (Bill memory b) {
        b.carrier = uint32(w);
        b.possessor = uint32(w >> 32);
        b.holder = uint32(w >> 64);
        b.prevPossessor = uint32(w >> 96);
        b.prevHolder = uint32(w >> 128);
        b.pledgee = uint32(w >> 160);
        b.status = BillStatus(uint8(w >> 192));
        b.kind = BillKind(uint8(w >> 200));
        b.pledgeStatus = PledgeStatus(uint8(w >> 208));
        b.version = uint16(w >> 216);
        b.flags = uint8(w >> 232);
    }
}
