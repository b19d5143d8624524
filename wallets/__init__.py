"""Organisation keys: the ``Signer`` interface, encrypted keystores, the wallet directory, rotation.

Owns every private key the service uses and the organisation's X25519 document key. Callers sign
through a ``Signer`` and never see key material; nothing here logs, prints, returns or stores a
secret unencrypted. Must not import web3 (chain access lives in ``ledger.chain``) or fastapi.
"""

from wallets.directory import (
    AccountStatus,
    OrganisationWallet,
    RotationPlan,
    WalletAccount,
    WalletDirectory,
)
from wallets.document_key import DocumentKeyPair
from wallets.errors import (
    KeystoreInvalid,
    OrganisationSlugInvalid,
    OrganisationWalletExists,
    OrganisationWalletNotFound,
    PrivateKeyInvalid,
    RotationInProgress,
    WalletAccountExists,
    WalletAccountNotFound,
    WalletAccountNotUsable,
    WalletError,
    WalletLocked,
    WrongPassphrase,
)
from wallets.keystore import ScryptCost
from wallets.passphrase import Passphrase, passphrase_from_env, passphrase_from_file
from wallets.signer import LocalSigner, Signer

__all__ = [
    "AccountStatus",
    "DocumentKeyPair",
    "KeystoreInvalid",
    "LocalSigner",
    "OrganisationSlugInvalid",
    "OrganisationWallet",
    "OrganisationWalletExists",
    "OrganisationWalletNotFound",
    "Passphrase",
    "PrivateKeyInvalid",
    "RotationInProgress",
    "RotationPlan",
    "ScryptCost",
    "Signer",
    "WalletAccount",
    "WalletAccountExists",
    "WalletAccountNotFound",
    "WalletAccountNotUsable",
    "WalletDirectory",
    "WalletError",
    "WalletLocked",
    "WrongPassphrase",
    "passphrase_from_env",
    "passphrase_from_file",
]
