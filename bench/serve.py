"""The service under load: one PortLedger node (``create_app`` under uvicorn) in its own process.

Started by the benchmark with the data dir of a deployed bench consortium, the RPC URL and the
organisations' development keys; it publishes a fresh document key per organisation, creates one API
key per organisation, writes ``{org id: token}`` to ``--tokens`` and serves on 127.0.0.1 with the
transaction manager and the indexer running in its workers. Its own process, so the benchmark can
read its CPU time apart from anvil's and the load generator's.

Usage: ``python -m bench.serve --data-dir D --rpc-url U --keys K.json --tokens T.json --port P``.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import uvicorn
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import SecretStr

from ledger.bootstrap import Ledger
from ledger.chain import ChainClient
from ledger.chain.deployment import bind, load_deployment
from ledger.outbox import KeySigner
from ledger.services.organisations import OrgWallet
from ledger.settings import Settings
from ledger_api.main import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--keys", type=Path, required=True, help="JSON {org id: private key hex}")
    parser.add_argument("--tokens", type=Path, required=True, help="where to write {org id: API token}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-indexer", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    keys: dict[str, str] = json.loads(args.keys.read_text())
    chain = ChainClient(args.rpc_url)
    contracts = bind(chain, load_deployment(args.data_dir, chain.chain_id))
    wallets: dict[int, OrgWallet] = {}
    for org, key in keys.items():
        signer = KeySigner(bytes.fromhex(key))
        document_key = X25519PrivateKey.generate()
        contracts.consortium.transact(
            "setEncryptionKey", int(org), document_key.public_key().public_bytes_raw(), sender=signer
        )
        wallets[int(org)] = OrgWallet(signer, document_key)
    settings = Settings(
        data_dir=args.data_dir,
        rpc_url=args.rpc_url,
        run_workers=True,
        run_indexer=not args.no_indexer,
        max_wait_seconds=60,
        statement_key_passphrase=SecretStr("bench statement key passphrase (not a secret)"),
    )
    ledger = Ledger.from_settings(settings, wallets=wallets)
    tokens = {org: ledger.keys.create(org, label=f"bench {org}").token for org in keys}
    args.tokens.write_text(json.dumps(tokens))
    uvicorn.run(
        create_app(settings, ledger=ledger),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
