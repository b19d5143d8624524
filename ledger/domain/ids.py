"""The identifiers every layer derives the same way as the contracts (docs/design.md §1.5).

Title ids, attestation subjects (bill, container, container under a bill, pledge, organisation, vessel),
the container root of a transport document with its Merkle proofs, and the hash of a release code.
Pure: ABI encoding and keccak only; the contracts are the reference and the unit tests compare each
function with the contract's own view of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

ROOT_BYTES = 24
"""The registry keeps the first 24 bytes of a container root (one slot with the issue time)."""


def title_id(carrier_org: int, transport_document_reference: str) -> int:
    """``uint256(keccak256(abi.encode(carrierOrgId, transportDocumentReference)))``."""
    return int.from_bytes(
        keccak(abi_encode(["uint256", "string"], [carrier_org, transport_document_reference])), "big"
    )


def bill_subject(bill_id: int) -> bytes:
    """Attestation subject of a title: its id as 32 bytes."""
    return bill_id.to_bytes(32, "big")


def container_subject(container_number: str) -> bytes:
    """Attestation subject of a container: ``keccak256(abi.encode("ISO6346", containerNumber))``."""
    return keccak(abi_encode(["string", "string"], ["ISO6346", container_number]))


def bill_container_subject(bill_id: int, container_number: str) -> bytes:
    """Subject of a container under one bill (customs releases and holds per container):
    ``keccak256(abi.encode("BILL_CONTAINER", billId, containerNumber))``."""
    return keccak(abi_encode(["string", "uint256", "string"], ["BILL_CONTAINER", bill_id, container_number]))


def pledge_subject(bill_id: int, pledge_nonce: int) -> bytes:
    """Subject of one pledge (its default): ``keccak256(abi.encode("PLEDGE", billId, pledgeNonce))``."""
    return keccak(abi_encode(["string", "uint256", "uint256"], ["PLEDGE", bill_id, pledge_nonce]))


def org_subject(org: int) -> bytes:
    """Attestation subject of an organisation: its id left-padded to 32 bytes."""
    return org.to_bytes(32, "big")


def vessel_subject(imo_number: str) -> bytes:
    """Attestation subject of a vessel: ``keccak256(abi.encode("IMO", imoNumber))``."""
    return keccak(abi_encode(["string", "string"], ["IMO", imo_number]))


def right_id(bill_id: int, container_number: str) -> bytes:
    """Release right id: ``keccak256(abi.encode(billId, containerSubject))``."""
    return keccak(abi_encode(["uint256", "bytes32"], [bill_id, container_subject(container_number)]))


def release_code_digest(code: bytes) -> bytes:
    """What the terminal submits for a presented release code: ``keccak256(code)``."""
    return keccak(code)


def release_code_hash(right: bytes, code: bytes) -> bytes:
    """What the holder stores: ``keccak256(abi.encode(rightId, keccak256(code)))``."""
    return keccak(abi_encode(["bytes32", "bytes32"], [right, release_code_digest(code)]))


# ---------------------------------------------------------------------- container root


def container_leaf(container_number: str) -> bytes:
    """``keccak256(bytes.concat(keccak256(abi.encode(containerNumber))))`` (a leaf never reads as a node)."""
    return keccak(keccak(abi_encode(["string"], [container_number])))


def _pair(a: bytes, b: bytes) -> bytes:
    """Sorted-pair hash, as OpenZeppelin's ``MerkleProof`` computes an inner node."""
    return keccak(a + b) if a < b else keccak(b + a)


def _levels(container_numbers: Iterable[str]) -> list[list[bytes]]:
    leaves = sorted({container_leaf(c) for c in container_numbers})
    if not leaves:
        raise ValueError("a container root needs at least one container number")
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [_pair(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])  # an odd node moves up unpaired
        levels.append(above)
    return levels


def container_root(container_numbers: Iterable[str]) -> bytes:
    """The full 32-byte root over the distinct container numbers (the chain keeps its first 24 bytes)."""
    return _levels(container_numbers)[-1][0]


def container_proof(container_numbers: Sequence[str], container_number: str) -> list[bytes]:
    """The proof that ``container_number`` is one of ``container_numbers``; ``ValueError`` if it is not."""
    levels = _levels(container_numbers)
    node = container_leaf(container_number)
    try:
        index = levels[0].index(node)
    except ValueError:
        raise ValueError(f"container {container_number} is not on the transport document") from None
    proof: list[bytes] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_container(root: bytes, container_number: str, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` leads from the container's leaf to ``root`` (full or the kept 24 bytes)."""
    node = container_leaf(container_number)
    for sibling in proof:
        node = _pair(node, sibling)
    return node[: len(root)] == root if len(root) in (ROOT_BYTES, 32) else False
