"""The contracts' enum values by position, as every layer names them (DCSA action codes verbatim).

Mirrors ``contracts/types/*.sol`` and ``IConsortium.ProposalKind``; the index tests check each
tuple against the Solidity source (tests/integration/index/test_codes.py). Nothing else lives here.
"""

from __future__ import annotations

BILL_STATUS = (
    "NONE",
    "ISSUED",
    "SURRENDER_PENDING_DELIVERY",
    "SURRENDER_PENDING_AMENDMENT",
    "ACCOMPLISHED",
    "SURRENDERED_FOR_AMENDMENT",
    "SWITCHED_TO_PAPER",
    "VOIDED",
)
BILL_KIND = ("NEGOTIABLE", "STRAIGHT", "SWB")
PLEDGE_STATUS = ("NONE", "REQUESTED", "ACTIVE")
BILL_ACTION = (
    "ISSUE",
    "TRANSFER",
    "ENDORSE",
    "ENDORSE_TO_ORDER",
    "BLANK_ENDORSE",
    "SIGN",
    "SURRENDER_FOR_DELIVERY",
    "SURRENDER_FOR_AMENDMENT",
    "SACC",
    "SREJ",
    "REJECT",
    "REISSUE",
    "VOID",
    "SWITCH_TO_PAPER",
    "PLEDGE",
    "ACCEPT_PLEDGE",
    "RELEASE_PLEDGE",
    "ENFORCE_PLEDGE",
)
SURRENDER_REASON = ("NONE", "SWTP", "COD", "SWI")
RELEASE_STATUS = ("NONE", "GRANTED", "REVOKED", "GATED_OUT", "GATED_IN")
PROPOSAL_KIND = (
    "ADMIT",
    "SUSPEND",
    "REINSTATE",
    "GRANT_ROLE",
    "REVOKE_ROLE",
    "CHANGE_THRESHOLD",
    "ADD_GOVERNOR",
    "REMOVE_GOVERNOR",
    "REPLACE_ADMIN",
    "REGISTER_SCHEMA",
    "SET_SCHEMA_ACTIVE",
    "SET_REPORT_SIGNERS",
)
REPORT_ACTION = ("ATTEST", "REVOKE")
