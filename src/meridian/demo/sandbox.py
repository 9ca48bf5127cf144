"""A vendor sandbox for the demo: it stands in for the WhatsApp Cloud API so a reply
sent from the demo shows real delivery states without a Meta account.

It accepts a send like Meta does, answers with a wamid, then calls our own webhook
with signed ``delivered`` and ``read`` statuses, exercising the same code path a
real vendor does. Mounted only by ``meridian demo``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
from fastapi import APIRouter, Request
from sqlalchemy import select

from meridian.config import get_settings
from meridian.db.engine import get_database
from meridian.demo.seed import DEMO_TEMPLATES, DEMO_WABA_ID, sandbox_signature
from meridian.inboxes.models import Inbox

router = APIRouter(prefix="/demo/vendor/graph", include_in_schema=False)
_background: set[asyncio.Task[None]] = set()


async def _receipts(phone_number_id: str, wamid: str, recipient: str) -> None:
    async with get_database().session() as session:
        inbox = await session.scalar(
            select(Inbox).where(
                Inbox.channel == "whatsapp", Inbox.config["phone_number_id"].astext == phone_number_id
            )
        )
    if inbox is None:
        return
    url = f"{get_settings().public_url.rstrip('/')}/webhooks/whatsapp/{inbox.id}"
    async with httpx.AsyncClient(timeout=10) as http:
        for status in ("delivered", "read"):
            await asyncio.sleep(1.5)
            body = json.dumps(
                {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "id": "demo",
                            "changes": [
                                {
                                    "field": "messages",
                                    "value": {
                                        "messaging_product": "whatsapp",
                                        "metadata": {
                                            "display_phone_number": "15550000000",
                                            "phone_number_id": phone_number_id,
                                        },
                                        "statuses": [
                                            {
                                                "id": wamid,
                                                "status": status,
                                                "timestamp": str(int(time.time())),
                                                "recipient_id": recipient,
                                            }
                                        ],
                                    },
                                }
                            ],
                        }
                    ],
                }
            ).encode()
            await http.post(
                url,
                content=body,
                headers={"content-type": "application/json", "x-hub-signature-256": sandbox_signature(body)},
            )


@router.get("/{waba_id}/message_templates")
async def message_templates(waba_id: str) -> dict[str, object]:
    """The demo account's approved templates, one page, as the Graph API lists them."""
    return {"data": DEMO_TEMPLATES if waba_id == DEMO_WABA_ID else [], "paging": {"cursors": {}}}


@router.post("/{phone_number_id}/messages")
async def send(phone_number_id: str, request: Request) -> dict[str, object]:
    payload = await request.json()
    wamid = "wamid.DEMO" + secrets.token_hex(12)
    recipient = str(payload.get("to", ""))
    task = asyncio.create_task(_receipts(phone_number_id, wamid, recipient))
    _background.add(task)
    task.add_done_callback(_background.discard)
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": recipient, "wa_id": recipient}],
        "messages": [{"id": wamid}],
    }
