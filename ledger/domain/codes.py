"""The contracts' enum values by position, as every layer names them (DCSA action codes verbatim).

Mirrors ``contracts/types/*.sol`` and ``IConsortium.ProposalKind``, and says which registry function
each title action of the API calls and which request field it needs. This is the one Python copy of that
vocabulary: the service (``ledger.services.bills``) and the API's ``Literal`` types
(``ledger_api.schemas.bills``) derive from it. ``tests/unit/domain/test_domain_codes.py`` checks every
tuple against the compiler's view of the Solidity enums and every call against the registry's ABI. The
title rules themselves stay on chain: nothing here says which action is allowed when.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

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
ROLE = (
    "CARRIER",
    "TRADER",
    "BANK",
    "TERMINAL",
    "HAULIER",
    "CUSTOMS",
    "MARITIME",
    "BORDER",
    "PORT_AUTHORITY",
)
"""``contracts/types/Roles.sol``; on chain a set of roles is a bitmask with bit ``ROLE.index(name)``."""

ENUMS: Mapping[str, tuple[str, ...]] = {
    "BillStatus": BILL_STATUS,
    "BillKind": BILL_KIND,
    "PledgeStatus": PLEDGE_STATUS,
    "SurrenderReason": SURRENDER_REASON,
    "ReleaseStatus": RELEASE_STATUS,
    "ProposalKind": PROPOSAL_KIND,
    "ReportAction": REPORT_ACTION,
    "Role": ROLE,
}
"""The Solidity enums by their type name (``enum IConsortium.ProposalKind`` → ``ProposalKind``)."""


def enum_name(enum: str, value: int) -> str | int:
    """The member name of ``value`` in Solidity enum ``enum``; the number itself if unknown."""
    members = ENUMS.get(enum.rsplit(".", 1)[-1])
    if members is None or not 0 <= value < len(members):
        return value
    return members[value]


# -------------------------------------------------------------------------- the API's title actions

ActionNeed = Literal["recipient", "reason", "pledge", "terms", "default", "none"]
"""The one request field an action takes besides the remark: the recipient organisation, the surrender
reason, the pledge terms (with the bank as recipient), the terms hash being accepted, the default
attestation (optional), or nothing."""


class ActionCall(NamedTuple):
    """How ``POST /v1/bills/{id}/actions`` performs one action on the registry."""

    function: str
    """The ``BillOfLadingRegistry`` function (arguments: bill id, the needed field if any, remark hash)."""
    needs: ActionNeed


BILL_ACTION_CALLS: Mapping[str, ActionCall] = {
    "TRANSFER": ActionCall("transfer", "recipient"),
    "ENDORSE": ActionCall("endorse", "recipient"),
    "ENDORSE_TO_ORDER": ActionCall("endorseToOrder", "recipient"),
    "BLANK_ENDORSE": ActionCall("blankEndorse", "none"),
    "SIGN": ActionCall("sign", "none"),
    "SURRENDER_FOR_DELIVERY": ActionCall("surrenderForDelivery", "none"),
    "SURRENDER_FOR_AMENDMENT": ActionCall("surrenderForAmendment", "reason"),
    "SACC": ActionCall("acceptSurrender", "none"),
    "SREJ": ActionCall("rejectSurrender", "none"),
    "REJECT": ActionCall("reject", "none"),
    "VOID": ActionCall("voidTitle", "none"),
    "SWITCH_TO_PAPER": ActionCall("switchToPaper", "none"),
    "PLEDGE": ActionCall("requestPledge", "pledge"),
    "ACCEPT_PLEDGE": ActionCall("acceptPledge", "terms"),
    "RELEASE_PLEDGE": ActionCall("releasePledge", "none"),
    "ENFORCE_PLEDGE": ActionCall("enforcePledge", "default"),
}
"""Every ``BILL_ACTION`` but ``ISSUE`` and ``REISSUE`` (they carry a document and have routes of their own),
in the enum's order; the keys are the action names of the API."""

API_BILL_ACTIONS = tuple(BILL_ACTION_CALLS)
"""The action names ``POST /v1/bills/{id}/actions`` accepts."""
SHOWN_BILL_STATUSES = BILL_STATUS[1:]
"""The statuses a title can show (``NONE`` means there is no such title)."""
SHOWN_PLEDGE_STATUSES = PLEDGE_STATUS[1:]
"""The states of a pledge a title can carry (``NONE`` means no pledge)."""
GIVEN_SURRENDER_REASONS = SURRENDER_REASON[1:]
"""The reasons a surrender for amendment names (``NONE`` is every other action's)."""
