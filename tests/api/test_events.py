"""``GET /v1/events`` as Server-Sent Events: monotonically increasing ids, resume with Last-Event-ID,
filtering by type, and only the events the caller's organisation is party to."""

from __future__ import annotations

import json
from typing import Any

from tests.api.test_releases import eir, mined, ready_right, refused
from tests.api.test_releases_world import PortWorld, port_world

__all__ = ["port_world"]


def read_stream(world: PortWorld, org: str, query: str = "", **headers: str) -> list[dict[str, Any]]:
    response = world.client.get(
        f"/v1/events?follow=false{query}", headers={"Authorization": f"Bearer {world.token[org]}", **headers}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        if "data" in fields:
            events.append(
                {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}
            )
    return events


def test_event_stream_resumes_after_last_event_id_and_shows_only_the_callers_events(
    port_world: PortWorld,
) -> None:
    world = port_world
    right_id = ready_right(world)
    mined(
        world.post(
            "terminal",
            f"/v1/releases/{right_id}/gate-out",
            {"eir": eir(), "haulier": str(world.org["haulier"])},
        )
    )

    seen = read_stream(world, "terminal", "&types=GatedOut,GatedIn")
    mine = [e for e in seen if e["data"]["data"]["rightId"] == right_id]
    assert [e["event"] for e in mine] == ["GatedOut"]
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert mine[0]["data"]["id"] == str(mine[0]["id"])

    mined(world.post("terminal", f"/v1/releases/{right_id}/gate-in", {"eir": eir(False)}))
    resumed = read_stream(
        world, "terminal", "&types=GatedOut,GatedIn", **{"Last-Event-ID": str(mine[0]["id"])}
    )
    assert [e["event"] for e in resumed if e["data"]["data"]["rightId"] == right_id] == ["GatedIn"]
    assert all(e["id"] > mine[0]["id"] for e in resumed)
    assert [e["id"] for e in read_stream(world, "terminal", f"&types=GatedIn&after={mine[0]['id']}")] == [
        e["id"] for e in resumed if e["event"] == "GatedIn"
    ]

    # The haulier picked it up, so it sees the gate-out; the bank is no party and sees neither.
    assert right_id in {
        e["data"]["data"]["rightId"] for e in read_stream(world, "haulier", "&types=GatedOut")
    }
    assert right_id not in {e["data"]["data"].get("rightId") for e in read_stream(world, "bank")}


def test_event_stream_refuses_missing_auth_and_a_malformed_last_event_id(port_world: PortWorld) -> None:
    world = port_world
    refused(world.client.get("/v1/events?follow=false"), 401, "UNAUTHENTICATED")
    response = world.client.get(
        "/v1/events?follow=false",
        headers={"Authorization": f"Bearer {world.token['bank']}", "Last-Event-ID": "yesterday"},
    )
    refused(response, 422, "VALIDATION_FAILED")
