"""The demo organisations' keys: their wallets, the document keys they publish, their API keys.

Owns what the stack creates once per data dir and re-uses after: one wallet per organisation of the
consortium config (plus the extra keys it names, and a relayer key for each oracle agency), the resolver
of the config's ``wallet:org/label`` placeholders, each organisation's X25519 document key published on
chain after the first deployment, and ``demo-keys.json``. Never prints or logs a secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cli.stack.layout import (
    CHAIN_ID,
    MEMBER_SENDERS,
    ORACLE_AGENCIES,
    RELAYER_LABEL,
    ROLE_NAMES,
    DataLayout,
    Say,
    StackError,
    StackOptions,
    read_json,
    write_private,
)


def ensure_wallets(options: StackOptions, layout: DataLayout, env: Mapping[str, str], say: Say) -> None:
    """One wallet per organisation of the config, plus the extra keys it names (``wallet:org/label``)."""
    from wallets import WalletDirectory, passphrase_from_env

    config = options.consortium_config()
    directory = WalletDirectory.from_env(layout.wallets, env)
    passphrase = passphrase_from_env(env)
    existing = set(directory.organisations())
    for placeholder in config.placeholders():
        if not placeholder.startswith("wallet:"):
            continue
        slug, _, label = placeholder[len("wallet:") :].partition("/")
        if slug not in existing:
            say(f"wallets: creating {slug}")
            directory.create_organisation(slug, passphrase, label="admin")
            existing.add(slug)
        if label:
            wallet = directory.organisation(slug)
            if not any(a.label == label for a in wallet.accounts()):
                wallet.new_account(passphrase, label=label)
    # The oracle runner relays its reports from a key of its own (anyone may relay a signed report),
    # so that its nonces never race the API's transaction manager, which signs with the admin key.
    for agency in ORACLE_AGENCIES:
        if agency in existing:
            wallet = directory.organisation(agency)
            if not any(a.label == RELAYER_LABEL for a in wallet.accounts()):
                wallet.new_account(passphrase, label=RELAYER_LABEL)


def wallet_resolver(layout: DataLayout, env: Mapping[str, str]) -> Callable[[str], str]:
    """The address a ``wallet:org`` or ``wallet:org/label`` placeholder of the config stands for."""
    from wallets import WalletDirectory

    directory = WalletDirectory.from_env(layout.wallets, env)

    def resolve(placeholder: str) -> str:
        slug, _, label = placeholder[len("wallet:") :].partition("/")
        wallet = directory.organisation(slug)
        if not label:
            return str(wallet.primary_address)
        for account in wallet.accounts():
            if account.label == label:
                return str(account.address)
        raise StackError(f"the wallet of {slug} has no key labelled {label}: move the data directory aside")

    return resolve


def publish_encryption_keys(
    chain: Any, layout: DataLayout, directory: Any, signers: Mapping[str, Any]
) -> None:
    """Each organisation publishes its wallet's X25519 document key (the config says "generate later")."""
    from ledger.chain.deployment import bind, load_deployment

    record = load_deployment(layout.root, chain.chain_id)
    consortium = bind(chain, record).consortium
    for slug in directory.organisations():
        wallet = directory.organisation(slug)
        org = int(consortium.call("orgOf", wallet.primary_address))
        if org == 0:
            continue
        public = bytes.fromhex(wallet.document_public_key_hex().removeprefix("0x"))
        current = consortium.call("organisation", org)
        on_chain = current["encryptionKey"] if isinstance(current, Mapping) else current[6]
        if bytes(on_chain) != public:
            consortium.transact("setEncryptionKey", org, public, sender=signers[str(wallet.primary_address)])


def admit_member_senders(rpc_url: str, layout: DataLayout, env: Mapping[str, str], say: Say) -> None:
    """Make the relayer key of each agency that writes as a member (the terminal's gate moves) a member
    account of its organisation, added by the organisation's admin; once per data dir, checked each start."""
    from ledger.chain import ChainClient
    from ledger.chain.deployment import bind, load_deployment
    from wallets import WalletDirectory, passphrase_from_env

    chain = ChainClient(rpc_url)
    record = load_deployment(layout.root, chain.chain_id)
    consortium = bind(chain, record).consortium
    directory = WalletDirectory.from_env(layout.wallets, env)
    for agency in MEMBER_SENDERS:
        if agency not in directory.organisations():
            continue
        wallet = directory.organisation(agency)
        relayer = next((a.address for a in wallet.accounts() if a.label == RELAYER_LABEL), None)
        if relayer is None or int(consortium.call("orgOf", relayer)) != 0:
            continue
        admin = wallet.signer(passphrase_from_env(env))
        consortium.transact("addAccount", record.org_id(agency), relayer, sender=admin)
        say(f"wallets: {agency}'s oracle runner sends from {relayer}, now a member account of {agency}")


def ensure_demo_keys(layout: DataLayout, database_url: str) -> dict[str, dict[str, Any]]:
    """``demo-keys.json``: one API key per demo organisation, created on first use (in the node's
    database, already migrated), read after."""
    if layout.demo_keys.exists():
        keys: dict[str, dict[str, Any]] = read_json(layout.demo_keys, "the demo API keys")
        return keys
    from ledger.bootstrap import ensure_service_tables
    from ledger.chain.deployment import load_deployment
    from ledger.db import Database
    from ledger.services.keys import ApiKeys

    record = load_deployment(layout.root, CHAIN_ID)
    db = Database(database_url)
    try:
        ensure_service_tables(db)
        api_keys = ApiKeys(db)
        out: dict[str, dict[str, Any]] = {}
        for role in ROLE_NAMES:
            org = record.org_id(role.replace("_", "-"))
            out[role] = {"org": str(org), "apiKey": api_keys.create(str(org), label=f"demo {role}").token}
    finally:
        db.dispose()
    write_private(layout.demo_keys, json.dumps(out, indent=2) + "\n")
    return out
