"""The organisation wallet directory: layout, accounts, import/export, rotation, document key."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from wallets import (
    AccountStatus,
    OrganisationSlugInvalid,
    OrganisationWallet,
    OrganisationWalletExists,
    OrganisationWalletNotFound,
    Passphrase,
    RotationInProgress,
    ScryptCost,
    WalletAccountExists,
    WalletAccountNotFound,
    WalletAccountNotUsable,
    WalletDirectory,
    WrongPassphrase,
)
from wallets.document_key import decrypt_document_key

IMPORTED_KEY = bytes.fromhex("0dbbe8e4ae425a6d2687f1a7e3ba17bc98c673636790f1b8ad91193c05875ef1")
IMPORTED_ADDRESS = Account.from_key(IMPORTED_KEY).address


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_organisation_lays_out_keystore_document_key_and_metadata(
    acme: OrganisationWallet, wallet_root: Path
) -> None:
    org = wallet_root / "acme-lines"
    primary = acme.primary_address

    assert (org / "accounts" / f"{primary}.json").is_file()
    assert (org / "x25519.json").is_file()
    metadata = json.loads((org / "wallet.json").read_text())
    assert metadata["format"] == "portledger-wallet"
    assert metadata["organisation"] == "acme-lines"
    assert metadata["primary"] == primary
    assert metadata["documentKey"]["publicKey"] == acme.document_public_key_hex()
    assert [(a["address"], a["status"], a["label"]) for a in metadata["accounts"]] == [
        (primary, "active", "operations")
    ]


def test_every_key_file_is_0600_and_every_directory_0700(
    acme: OrganisationWallet, passphrase: Passphrase, wallet_root: Path
) -> None:
    acme.new_account(passphrase)
    acme.rotate(passphrase)

    files = [p for p in wallet_root.rglob("*") if p.is_file()]
    folders = [wallet_root, *(p for p in wallet_root.rglob("*") if p.is_dir())]
    assert len([p for p in files if p.parent.name == "accounts"]) == 3
    assert {oct(_mode(p)) for p in files} == {oct(0o600)}
    assert {oct(_mode(p)) for p in folders} == {oct(0o700)}


def test_writes_leave_no_temporary_files_behind(acme: OrganisationWallet, passphrase: Passphrase) -> None:
    acme.new_account(passphrase)

    assert not [p for p in acme.path.rglob("*.tmp")]


def test_create_organisation_twice_raises_organisation_wallet_exists(
    directory: WalletDirectory, acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    with pytest.raises(OrganisationWalletExists):
        directory.create_organisation("acme-lines", passphrase)


@pytest.mark.parametrize("slug", ["", "../escape", "Acme", "a/b", "-lead", "a" * 64, ".hidden"])
def test_unsafe_organisation_slugs_are_rejected(
    directory: WalletDirectory, passphrase: Passphrase, slug: str
) -> None:
    with pytest.raises(OrganisationSlugInvalid):
        directory.create_organisation(slug, passphrase)


def test_unknown_organisation_raises_organisation_wallet_not_found(directory: WalletDirectory) -> None:
    with pytest.raises(OrganisationWalletNotFound):
        directory.organisation("nobody")


def test_organisations_lists_only_directories_with_wallet_metadata(
    directory: WalletDirectory, passphrase: Passphrase, wallet_root: Path
) -> None:
    directory.create_organisation("port-agent", passphrase)
    directory.create_organisation("acme-lines", passphrase)
    (wallet_root / "half-made").mkdir()

    assert directory.organisations() == ["acme-lines", "port-agent"]


def test_several_accounts_each_sign_for_themselves(acme: OrganisationWallet, passphrase: Passphrase) -> None:
    second = acme.new_account(passphrase, label="customs desk")

    addresses = [a.address for a in acme.accounts()]
    assert addresses == [acme.primary_address, second.address]
    assert acme.signer(passphrase).address == acme.primary_address
    assert acme.signer(passphrase, second.address.lower()).address == second.address


def test_new_account_with_wrong_passphrase_raises_and_writes_nothing(
    acme: OrganisationWallet,
) -> None:
    with pytest.raises(WrongPassphrase):
        acme.new_account(Passphrase("a different passphrase"))

    assert len(acme.accounts()) == 1
    assert len(list(acme.accounts_path.iterdir())) == 1


def test_signer_with_wrong_passphrase_raises_wrong_passphrase(acme: OrganisationWallet) -> None:
    with pytest.raises(WrongPassphrase):
        acme.signer(Passphrase("a different passphrase"))


def test_import_private_key_adds_an_account_that_signs(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    account = acme.import_private_key(IMPORTED_KEY, passphrase, label="legacy")

    assert account.address == IMPORTED_ADDRESS
    assert account.status is AccountStatus.ACTIVE
    assert acme.signer(passphrase, IMPORTED_ADDRESS).address == IMPORTED_ADDRESS


def test_importing_the_same_key_twice_raises_wallet_account_exists(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    acme.import_private_key(IMPORTED_KEY, passphrase)

    with pytest.raises(WalletAccountExists):
        acme.import_private_key(IMPORTED_KEY, passphrase)


def test_import_keystore_from_eth_account_reencrypts_under_the_wallet_passphrase(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    foreign = Passphrase("the other tool's passphrase")
    keystore = Account.encrypt(IMPORTED_KEY, foreign.reveal(), kdf="scrypt", iterations=2**4)

    account = acme.import_keystore(keystore, foreign, passphrase)

    stored = acme.keystore(account.address)
    assert bytes(Account.decrypt(stored, passphrase.reveal())) == IMPORTED_KEY
    with pytest.raises(ValueError):
        Account.decrypt(stored, foreign.reveal())


def test_export_keystore_copies_a_file_eth_account_opens(
    acme: OrganisationWallet, passphrase: Passphrase, tmp_path: Path
) -> None:
    acme.import_private_key(IMPORTED_KEY, passphrase)
    target = tmp_path / "out" / "key.json"

    acme.export_keystore(IMPORTED_ADDRESS, target)

    assert _mode(target) == 0o600
    assert bytes(Account.decrypt(json.loads(target.read_text()), passphrase.reveal())) == IMPORTED_KEY


def test_export_keystore_with_export_passphrase_reencrypts(
    acme: OrganisationWallet, passphrase: Passphrase, tmp_path: Path
) -> None:
    acme.import_private_key(IMPORTED_KEY, passphrase)
    handover = Passphrase("for the recipient")
    target = tmp_path / "key.json"

    acme.export_keystore(IMPORTED_ADDRESS, target, passphrase=passphrase, export_passphrase=handover)

    assert bytes(Account.decrypt(json.loads(target.read_text()), handover.reveal())) == IMPORTED_KEY


def test_export_keystore_refuses_to_overwrite_unless_asked(acme: OrganisationWallet, tmp_path: Path) -> None:
    target = tmp_path / "key.json"
    target.write_text("{}")

    with pytest.raises(FileExistsError):
        acme.export_keystore(acme.primary_address, target)
    acme.export_keystore(acme.primary_address, target, overwrite=True)
    assert json.loads(target.read_text())["version"] == 3


def test_unknown_account_raises_wallet_account_not_found(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    with pytest.raises(WalletAccountNotFound):
        acme.signer(passphrase, IMPORTED_ADDRESS)
    with pytest.raises(WalletAccountNotFound):
        acme.account("not-an-address")


def test_rotate_creates_a_pending_account_and_marks_the_old_one_retiring(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    old = acme.primary_address

    plan = acme.rotate(passphrase, label="2027 key")

    assert (plan.organisation, plan.old_address, plan.old_was_primary) == ("acme-lines", old, True)
    assert plan.new_address != old
    assert acme.account(old).status is AccountStatus.RETIRING
    assert acme.account(old).replaced_by == plan.new_address
    assert acme.account(plan.new_address).status is AccountStatus.PENDING
    assert acme.account(plan.new_address).replaces == old
    assert acme.rotation() == plan
    # The old key keeps signing until the Consortium has switched to the new one.
    assert acme.primary_address == old
    assert acme.signer(passphrase).address == old


def test_complete_rotation_activates_the_new_account_and_retires_the_old(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    plan = acme.rotate(passphrase)

    acme.complete_rotation(plan)

    assert acme.account(plan.old_address).status is AccountStatus.RETIRED
    assert acme.account(plan.new_address).status is AccountStatus.ACTIVE
    assert acme.primary_address == plan.new_address
    assert acme.signer(passphrase).address == plan.new_address
    assert acme.rotation() is None
    with pytest.raises(WalletAccountNotUsable) as caught:
        acme.signer(passphrase, plan.old_address)
    assert caught.value.status == "retired"


def test_cancel_rotation_restores_the_old_account(acme: OrganisationWallet, passphrase: Passphrase) -> None:
    plan = acme.rotate(passphrase)

    acme.cancel_rotation(plan)

    assert acme.account(plan.old_address).status is AccountStatus.ACTIVE
    assert acme.account(plan.old_address).replaced_by is None
    assert acme.account(plan.new_address).status is AccountStatus.RETIRED
    assert acme.primary_address == plan.old_address
    assert acme.rotation() is None


def test_rotate_while_a_rotation_is_under_way_raises_rotation_in_progress(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    plan = acme.rotate(passphrase)

    with pytest.raises(RotationInProgress) as caught:
        acme.rotate(passphrase)
    assert (caught.value.old_address, caught.value.new_address) == (plan.old_address, plan.new_address)


def test_rotating_a_secondary_account_keeps_the_primary(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    primary = acme.primary_address
    second = acme.new_account(passphrase)

    plan = acme.rotate(passphrase, second.address)
    acme.complete_rotation(plan)

    assert not plan.old_was_primary
    assert acme.primary_address == primary


def test_rotate_with_wrong_passphrase_changes_nothing(acme: OrganisationWallet) -> None:
    with pytest.raises(WrongPassphrase):
        acme.rotate(Passphrase("a different passphrase"))

    assert [a.status for a in acme.accounts()] == [AccountStatus.ACTIVE]


def test_document_key_round_trips_and_matches_the_published_public_key(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    pair = acme.document_key(passphrase)

    assert pair.public_key_hex == acme.document_public_key_hex()
    assert len(bytes.fromhex(acme.document_public_key_hex())) == 32


def test_two_organisations_derive_the_same_x25519_shared_secret(
    directory: WalletDirectory, acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    agent = directory.create_organisation("port-agent", passphrase)
    acme_key, agent_key = acme.document_key(passphrase), agent.document_key(passphrase)

    from_acme = acme_key.exchange(bytes.fromhex(agent.document_public_key_hex()))
    from_agent = agent_key.exchange(bytes.fromhex(acme.document_public_key_hex()))

    assert from_acme == from_agent
    assert len(from_acme) == 32


def test_document_key_with_wrong_passphrase_raises_wrong_passphrase(acme: OrganisationWallet) -> None:
    with pytest.raises(WrongPassphrase):
        acme.document_key(Passphrase("a different passphrase"))


def test_document_key_file_with_a_swapped_public_key_fails_authentication(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    document = json.loads(acme.document_key_path.read_text())
    document["publicKey"] = "11" * 32

    with pytest.raises(WrongPassphrase):
        decrypt_document_key(document, passphrase)


def test_document_key_file_records_its_kdf_and_cipher(acme: OrganisationWallet, cost: ScryptCost) -> None:
    document = json.loads(acme.document_key_path.read_text())

    assert document["format"] == "portledger-x25519-keystore"
    assert document["crypto"]["cipher"] == "aes-256-gcm"
    assert document["crypto"]["kdf"] == "scrypt"
    assert document["crypto"]["kdfparams"]["n"] == cost.n


def test_wallet_directory_from_env_reads_root_and_cost(tmp_path: Path) -> None:
    directory = WalletDirectory.from_env(
        environ={"PORTLEDGER_WALLET_DIR": str(tmp_path / "w"), "PORTLEDGER_WALLET_SCRYPT_N": "32"}
    )

    assert directory.root == tmp_path / "w"
    assert directory.cost.n == 32
    assert WalletDirectory.from_env(environ={}).root == Path("data/wallets")


def test_rotating_a_retired_account_raises_wallet_account_not_usable(
    acme: OrganisationWallet, passphrase: Passphrase
) -> None:
    plan = acme.rotate(passphrase)
    acme.complete_rotation(plan)

    with pytest.raises(WalletAccountNotUsable) as caught:
        acme.rotate(passphrase, plan.old_address)
    assert (caught.value.status, caught.value.operation) == ("retired", "rotate")


@pytest.mark.slow
def test_production_scrypt_cost_writes_files_that_unlock(tmp_path: Path, passphrase: Passphrase) -> None:
    # About 3 s: one keystore and the X25519 file at n=2**18 (256 MiB of scrypt memory each).
    wallet = WalletDirectory(tmp_path / "prod").create_organisation("acme-lines", passphrase)

    keystore = wallet.keystore(wallet.primary_address)
    document = json.loads(wallet.document_key_path.read_text())
    assert keystore["crypto"]["kdfparams"]["n"] == document["crypto"]["kdfparams"]["n"] == 2**18
    assert wallet.signer(passphrase).address == wallet.primary_address
    assert wallet.document_key(passphrase).public_key_hex == wallet.document_public_key_hex()
