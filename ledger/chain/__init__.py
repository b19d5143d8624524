"""The only package that talks to the chain: artifacts, JSON-RPC client, revert and event decoding,
the embedded anvil runner and the deployment record. Nothing else in the project imports web3."""

from ledger.chain.abi import DecodedEvent
from ledger.chain.artifacts import Artifact, ArtifactMissing, Artifacts
from ledger.chain.client import ChainClient, Contract, Receipt, RpcError
from ledger.domain.errors import ContractRevert

__all__ = [
    "Artifact",
    "ArtifactMissing",
    "Artifacts",
    "ChainClient",
    "Contract",
    "ContractRevert",
    "DecodedEvent",
    "Receipt",
    "RpcError",
]
