"""A small week of support, hand-counted: five conversations in two teams and regions.

Times are UTC; Berlin is UTC+1 and Mexico City UTC-6 in March 2026, both teams open
09:00-17:00 local on weekdays (Berlin 08:00-16:00 UTC, Mexico City 15:00-23:00 UTC).

C1 Mon 08:00 de, inbox A (Berlin), VIP. Assigned to Lena; reply 08:30 (first response
   1800 s, business 1800); resolved 10:00 (7200 s, business 7200). Rated 5 later.
C2 Mon 16:00 de, inbox A. Reply Tue 08:30 (59400 s; business 0 on Monday after 16:00
   + 1800 on Tuesday = 1800). Customer writes Tue 09:00, reply 09:20 (next response
   1200 s). Resolved Tue 12:00, reopened Wed 09:00, resolved Wed 10:00: resolution
   151200 s (42 h); business Tue 8 h + Wed 2 h = 36000. Tagged billing.
C3 Tue 15:00 es, inbox B (Mexico City), VIP, assigned to Marco. Reply Wed 15:00
   (86400 s; business Tue 15:00-23:00 = 28800). Never resolved. Tags billing, shipping.
C4 Wed 20:00 es, inbox B. Handed to Berlin Thu 08:00 (latam -> eu), resolved Thu 09:00
   without a reply (46800 s; business in Berlin's hours 08:00-09:00 = 3600).
C5 Thu 12:00 en, SMS inbox C, no team, customer in Tokyo. Reply 12:10 (600 s). Open.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import time_machine

from meridian.channels.base import InboundContact, InboundMessage
from meridian.channels.ingest import ingest_message
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from tests.analytics.helpers import drain, incoming, patch, reply
from tests.factories import Factory, Tenant

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
SINCE, UNTIL = "2026-03-02", "2026-03-09"
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
TEXTS = {
    "de": "Guten Tag, meine Bestellung ist leider noch immer nicht angekommen.",
    "de2": "Haben Sie schon eine neue Sendungsnummer für mich?",
    "es": "Hola, mi pedido todavía no ha llegado y necesito saber cuándo llegará.",
    "es2": "Hola, quiero cambiar la dirección de envío de mi pedido, por favor.",
    "en": "Hello, my order has not arrived yet and I would like to know where it is.",
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@dataclass
class Scenario:
    tenant: Tenant
    berlin: uuid.UUID
    mexico: uuid.UUID
    lena: uuid.UUID
    marco: uuid.UUID
    inbox_a: uuid.UUID
    inbox_b: uuid.UUID
    inbox_c: uuid.UUID
    c: dict[int, str]

    def query(self, **params: Any) -> dict[str, Any]:
        return {"since": SINCE, "until": UNTIL, **params}


async def _contact_of(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str) -> str:
    data = (await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)).json()
    return str(data["contact"]["id"])


async def _sms(db: Database, inbox_id: uuid.UUID, body: str) -> str:
    async with db.session() as session:
        inbox = await session.get(Inbox, inbox_id)
        assert inbox is not None
        result = await ingest_message(
            session,
            inbox=inbox,
            msg=InboundMessage(
                external_id=uuid.uuid4().hex,
                contact=InboundContact(identifier="+819012345678", phone="+819012345678", locale="en"),
                body=body,
            ),
        )
        await session.commit()
    return str(result.conversation_id)


async def build(client: httpx.AsyncClient, factory: Factory, db: Database) -> Scenario:
    tenant = await factory.tenant("Analytics week")
    h = tenant.headers
    berlin = await factory.team(
        tenant, name="Berlin", timezone="Europe/Berlin", business_hours=WEEKDAYS, region="eu"
    )
    mexico = await factory.team(
        tenant, name="Mexico City", timezone="America/Mexico_City", business_hours=WEEKDAYS, region="latam"
    )
    lena = (await factory.agent(tenant, name="Lena", team_ids=[berlin])).id
    marco = (await factory.agent(tenant, name="Marco", team_ids=[mexico])).id
    inbox_a, _ = await factory.inbox(tenant, name="Shop DE", team_id=berlin)
    inbox_b, _ = await factory.inbox(tenant, name="Shop MX", team_id=mexico)
    inbox_c, _ = await factory.inbox(
        tenant,
        "sms",
        name="SMS",
        config={"account_sid": "AC" + "0" * 32, "auth_token": "t", "from_number": "+15550001111"},
    )
    c: dict[int, str] = {}

    async def step(when: datetime, *actions: Any) -> None:
        with time_machine.travel(when, tick=False):
            for action in actions:
                await action()
        await drain(db)

    async def open_c1() -> None:
        c[1] = (await incoming(client, h, inbox_a, TEXTS["de"], identifier="c1", locale="de"))[
            "conversation_id"
        ]
        contact = await _contact_of(client, h, c[1])
        assert (
            await client.patch(f"/api/v1/contacts/{contact}", headers=h, json={"tier": "vip"})
        ).status_code == 200

    await step(at(0, 8), open_c1)
    await step(at(0, 8, 5), lambda: patch(client, h, c[1], assignee_id=str(lena)))
    await step(at(0, 8, 30), lambda: reply(client, h, c[1], "Ich sehe nach."))
    await step(at(0, 10), lambda: patch(client, h, c[1], status="resolved"))

    async def open_c2() -> None:
        c[2] = (await incoming(client, h, inbox_a, TEXTS["de"], identifier="c2", locale="de"))[
            "conversation_id"
        ]

    await step(at(0, 16), open_c2)
    await step(
        at(1, 8, 30),
        lambda: patch(client, h, c[2], assignee_id=str(lena), tags=["billing"]),
        lambda: reply(client, h, c[2], "Guten Morgen!"),
    )
    await step(at(1, 9), lambda: incoming(client, h, inbox_a, TEXTS["de2"], identifier="c2", locale="de"))
    await step(at(1, 9, 20), lambda: reply(client, h, c[2], "Hier ist sie."))
    await step(at(1, 12), lambda: patch(client, h, c[2], status="resolved"))

    async def open_c3() -> None:
        c[3] = (await incoming(client, h, inbox_b, TEXTS["es"], identifier="c3", locale="es"))[
            "conversation_id"
        ]
        contact = await _contact_of(client, h, c[3])
        assert (
            await client.patch(f"/api/v1/contacts/{contact}", headers=h, json={"tier": "vip"})
        ).status_code == 200

    await step(at(1, 15), open_c3)
    await step(
        at(1, 15, 5), lambda: patch(client, h, c[3], assignee_id=str(marco), tags=["billing", "shipping"])
    )
    await step(at(2, 9), lambda: patch(client, h, c[2], status="open"))
    await step(at(2, 10), lambda: patch(client, h, c[2], status="resolved"))
    await step(at(2, 15), lambda: reply(client, h, c[3], "Hola, lo reviso."))

    async def open_c4() -> None:
        c[4] = (await incoming(client, h, inbox_b, TEXTS["es2"], identifier="c4", locale="es"))[
            "conversation_id"
        ]

    await step(at(2, 20), open_c4)
    await step(at(3, 8), lambda: patch(client, h, c[4], team_id=str(berlin)))
    await step(at(3, 9), lambda: patch(client, h, c[4], status="resolved"))

    async def open_c5() -> None:
        c[5] = await _sms(db, inbox_c, TEXTS["en"])
        contact = await _contact_of(client, h, c[5])
        response = await client.patch(
            f"/api/v1/contacts/{contact}", headers=h, json={"timezone": "Asia/Tokyo"}
        )
        assert response.status_code == 200

    await step(at(3, 12), open_c5)
    await step(at(3, 12, 10), lambda: reply(client, h, c[5], "Let me check."))
    # The survey went out when C1 was resolved; the customer answers it much later.
    await incoming(client, h, inbox_a, "5 Sehr hilfreich, danke!", identifier="c1", locale="de")
    await drain(db)
    return Scenario(tenant, berlin, mexico, lena, marco, inbox_a, inbox_b, inbox_c, c)
