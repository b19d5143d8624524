"""The terms of a pledge request and the hash a bank's acceptance carries (docs/design.md §1.2).

Mirror of ``IBillOfLadingRegistry.PledgeTerms`` and ``pledgeTermsHash``; a unit test compares the hash
with the contract's. Pure: it states no rule (the registry decides who may pledge and accept).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak


@dataclass(frozen=True, slots=True)
class PledgeTerms:
    """What a pledge request names; ``amount`` in minor units of ``currency`` (ISO 4217, 3 letters)."""

    bank: int
    amount: int
    currency: str
    registration_ref: bytes
    accept_by: int
    maturity: int
    notice_period: int

    def as_struct(self) -> tuple[int, int, bytes, bytes, int, int, int]:
        """The Solidity ``PledgeTerms`` tuple."""
        return (
            self.bank,
            self.amount,
            self.currency.encode("ascii"),
            self.registration_ref,
            self.accept_by,
            self.maturity,
            self.notice_period,
        )

    def terms_hash(self, bill_id: int, nonce: int, pledgor: int) -> bytes:
        """``keccak256(abi.encode(billId, nonce, bank, pledgor, amount, currency, registrationRef, acceptBy,
        maturity, noticePeriod))``."""
        return keccak(
            abi_encode(
                [
                    "uint256",
                    "uint32",
                    "uint32",
                    "uint32",
                    "uint128",
                    "bytes3",
                    "bytes32",
                    "uint64",
                    "uint64",
                    "uint32",
                ],
                [
                    bill_id,
                    nonce,
                    self.bank,
                    pledgor,
                    self.amount,
                    self.currency.encode("ascii"),
                    self.registration_ref,
                    self.accept_by,
                    self.maturity,
                    self.notice_period,
                ],
            )
        )
