"""Messenger, Instagram, Telegram, LINE and SMS through the real webhook route and
outbox, like ``test_webhook_flow.py`` does for WhatsApp: a signed sample creates one
conversation, a redelivery nothing, a forgery is refused and stores nothing, a reply
reaches the vendor stand-in in the vendor's shape, and a receipt updates the status
(Telegram and LINE send no delivery receipts for bot messages)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from meridian.config import get_settings
from meridian.db.engine import Database
from tests.channels.samples import load_fixture, load_sample
from tests.factories import Factory, Tenant
from tests.support.outbox import drain
from tests.support.vendor_server import ScriptedResponse, vendor_server

META_SECRET = "meta-app-secret-flows"
PAGE_ID = "106066395400012"
PSID = "6791234567890123"
IG_ACCOUNT = "17841405309211844"
IGSID = "1187654321098765"


def meta_signature(body: bytes) -> dict[str, str]:
    digest = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "content-type": "application/json"}


async def create_inbox(
    client: httpx.AsyncClient, tenant: Tenant, channel: str, config: dict[str, Any]
) -> str:
    response = await client.post(
        "/api/v1/inboxes",
        headers=tenant.headers,
        json={"name": channel, "channel": channel, "config": config},
    )
    assert response.status_code == 201, response.text
    inbox_id: str = response.json()["id"]
    return inbox_id


async def conversations(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()[
        "items"
    ]
    return items


async def messages(client: httpx.AsyncClient, tenant: Tenant, conv_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{conv_id}/messages", headers=tenant.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def refused_then_received_once(
    client: httpx.AsyncClient,
    tenant: Tenant,
    hook: str,
    body: bytes,
    signed: dict[str, str],
    forged: dict[str, str],
) -> dict[str, Any]:
    refused = await client.post(hook, content=body, headers=forged)
    assert refused.status_code in (401, 403), refused.text
    assert await conversations(client, tenant) == []
    for _ in range(2):  # the vendor's retry must change nothing
        accepted = await client.post(hook, content=body, headers=signed)
        assert accepted.status_code == 200, accepted.text
    [conv] = await conversations(client, tenant)
    assert len(await messages(client, tenant, conv["id"])) == 1
    return conv


async def reply(client: httpx.AsyncClient, tenant: Tenant, conv_id: str, text: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/conversations/{conv_id}/messages", headers=tenant.headers, json={"body": text}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def outgoing(client: httpx.AsyncClient, tenant: Tenant, conv_id: str) -> list[dict[str, Any]]:
    return [m for m in await messages(client, tenant, conv_id) if m["direction"] == "outgoing"]


async def test_messenger_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox_id = await create_inbox(
            client,
            tenant,
            "messenger",
            {
                "page_id": PAGE_ID,
                "page_access_token": "EAAPage-flow",
                "app_secret": META_SECRET,
                "verify_token": "verify-flow",
                "api_base_url": f"{meta.url}/v21.0",
            },
        )
        item = load_sample("messenger_inbound_text_messaging_entry.json").strip()
        item = item.replace(b"<PSID>", PSID.encode()).replace(b"<PAGE_ID>", PAGE_ID.encode())
        body = (
            b'{"object":"page","entry":[{"id":"' + PAGE_ID.encode() + b'","time":1458692752478,"messaging":['
        )
        body += item + b"]}]}"
        hook = f"/webhooks/messenger/{inbox_id}"
        conv = await refused_then_received_once(
            client, tenant, hook, body, meta_signature(body), {**meta_signature(body + b" "), "x": "1"}
        )
        assert (await messages(client, tenant, conv["id"]))[0]["body"] == "hello, world!"

        answer = json.loads(load_fixture("messenger", "send_response.json"))
        meta.script(f"/v21.0/{PAGE_ID}/messages", ScriptedResponse(200, answer))
        await reply(client, tenant, conv["id"], "Hi! How can we help?")
        await drain(db)
        [sent] = meta.requests_to(f"/v21.0/{PAGE_ID}/messages")
        assert sent.query == {"access_token": ["EAAPage-flow"]}
        assert sent.json() == {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {"text": "Hi! How can we help?"},
        }

        delivery = {
            "object": "page",
            "entry": [
                {
                    "id": PAGE_ID,
                    "time": int(time.time() * 1000),
                    "messaging": [
                        {
                            "sender": {"id": PSID},
                            "recipient": {"id": PAGE_ID},
                            "delivery": {
                                "mids": [answer["message_id"]],
                                "watermark": int(time.time() * 1000),
                            },
                        }
                    ],
                }
            ],
        }
        receipt = json.dumps(delivery).encode()
        assert (await client.post(hook, content=receipt, headers=meta_signature(receipt))).status_code == 200
        [out] = await outgoing(client, tenant, conv["id"])
        assert out["delivery_status"] == "delivered" and out["external_id"] == answer["message_id"]


def instagram_sample() -> bytes:
    """Meta's documented Instagram notification with its placeholders filled in."""
    text = load_sample("instagram_messaging_message_syntax.txt").decode()
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    values = {
        "<YOUR_APP_USERS_INSTAGRAM_USER_ID>": IG_ACCOUNT,
        "<SENDER_ID>": IGSID,
        "<RECIPIENT_ID>": IG_ACCOUNT,
        "<MESSAGE_ID>": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1MzA5MjExODQ0OjQ1",
        "<MESSAGE_TEXT>": "Do you ship to Osaka?",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    text = re.sub(r"<TIME_[A-Z_]+>", "1569262485349", text)
    # The docs open an array they never close; the notification is the object inside.
    notification, _ = json.JSONDecoder().raw_decode(text, text.index("{"))
    return json.dumps(notification).encode()


async def test_instagram_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    with vendor_server() as meta:
        inbox_id = await create_inbox(
            client,
            tenant,
            "instagram",
            {
                "page_id": PAGE_ID,
                "instagram_account_id": IG_ACCOUNT,
                "page_access_token": "EAAInsta-flow",
                "app_secret": META_SECRET,
                "verify_token": "verify-ig",
                "api_base_url": f"{meta.url}/v21.0",
            },
        )
        body = instagram_sample()
        hook = f"/webhooks/instagram/{inbox_id}"
        conv = await refused_then_received_once(
            client, tenant, hook, body, meta_signature(body), {"content-type": "application/json"}
        )
        assert (await messages(client, tenant, conv["id"]))[0]["body"] == "Do you ship to Osaka?"

        answer = json.loads(load_fixture("instagram", "send_response.json"))
        meta.script(f"/v21.0/{PAGE_ID}/messages", ScriptedResponse(200, answer))
        await reply(client, tenant, conv["id"], "Yes, in 3 days.")
        await drain(db)
        [sent] = meta.requests_to(f"/v21.0/{PAGE_ID}/messages")
        assert sent.query == {"access_token": ["EAAInsta-flow"]}
        assert sent.json() == {
            "recipient": {"id": IGSID},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, in 3 days."},
        }

        seen = json.loads(load_fixture("instagram", "seen.json"))
        seen["entry"][0]["messaging"][0]["read"]["mid"] = answer["message_id"]
        receipt = json.dumps(seen).encode()
        assert (await client.post(hook, content=receipt, headers=meta_signature(receipt))).status_code == 200
        [out] = await outgoing(client, tenant, conv["id"])
        assert out["delivery_status"] == "read"


async def test_telegram_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    token, secret = "424242:FLOW-token", "flow_secret-token"
    with vendor_server() as telegram:
        inbox_id = await create_inbox(
            client,
            tenant,
            "telegram",
            {"bot_token": token, "secret_token": secret, "api_base_url": telegram.url},
        )
        body = load_sample("telegram_update_message.json")
        header = "X-Telegram-Bot-Api-Secret-Token"
        conv = await refused_then_received_once(
            client,
            tenant,
            f"/webhooks/telegram/{inbox_id}",
            body,
            {header: secret, "content-type": "application/json"},
            {header: "guessed", "content-type": "application/json"},
        )
        path = f"/bot{token}/sendMessage"
        telegram.script(path, ScriptedResponse(200, {"ok": True, "result": {"message_id": 1366, "date": 1}}))
        await reply(client, tenant, conv["id"], "Welcome! 👋")
        await drain(db)
        [sent] = telegram.requests_to(path)
        assert sent.json() == {"chat_id": 1111111, "text": "Welcome! 👋"}
        [out] = await outgoing(client, tenant, conv["id"])
        assert out["delivery_status"] == "sent" and out["external_id"] == "1366"


async def test_line_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    secret = "line-flow-secret"
    with vendor_server() as line:
        inbox_id = await create_inbox(
            client,
            tenant,
            "line",
            {"channel_secret": secret, "channel_access_token": "line-flow-token", "api_base_url": line.url},
        )
        body = load_sample("line_webhook_text_message.json")
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        conv = await refused_then_received_once(
            client,
            tenant,
            f"/webhooks/line/{inbox_id}",
            body,
            {"X-Line-Signature": signature, "content-type": "application/json"},
            {"X-Line-Signature": base64.b64encode(b"0" * 32).decode(), "content-type": "application/json"},
        )
        # The sample's reply token is years old, so the reply goes out as a push.
        push = "/v2/bot/message/push"
        line.script(
            push, ScriptedResponse(200, {"sentMessages": [{"id": "461230966842064897", "quoteToken": "q"}]})
        )
        await reply(client, tenant, conv["id"], "Hello from support")
        await drain(db)
        [sent] = line.requests_to(push)
        assert sent.headers["authorization"] == "Bearer line-flow-token"
        assert sent.headers["x-line-retry-key"]
        assert sent.json() == {
            "to": "U206d25c2ea6bd87c17655609a1c37cb8",
            "messages": [{"type": "text", "text": "Hello from support"}],
        }
        [out] = await outgoing(client, tenant, conv["id"])
        assert out["delivery_status"] == "sent" and out["external_id"] == "461230966842064897"


async def test_sms_round_trip(client: httpx.AsyncClient, factory: Factory, db: Database) -> None:
    tenant = await factory.tenant()
    sid, auth_token = "AC" + "5e" * 16, "twilio-flow-token"
    with vendor_server() as twilio:
        inbox_id = await create_inbox(
            client,
            tenant,
            "sms",
            {
                "account_sid": sid,
                "auth_token": auth_token,
                "from_number": "+14155550100",
                "api_base_url": twilio.url,
            },
        )
        hook = f"/webhooks/sms/{inbox_id}"
        # Twilio signs the public URL it called: MERIDIAN_PUBLIC_URL plus the path.
        public = get_settings().public_url.rstrip("/") + hook
        validator = RequestValidator(auth_token)

        def signed(form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
            headers = {
                "X-Twilio-Signature": validator.compute_signature(public, form),
                "content-type": "application/x-www-form-urlencoded",
            }
            return urlencode(form).encode(), headers

        form = json.loads(load_fixture("sms", "inbound_sms.json"))
        body, headers = signed(form)
        forged = {
            **headers,
            "X-Twilio-Signature": RequestValidator("not-the-token").compute_signature(public, form),
        }
        conv = await refused_then_received_once(client, tenant, hook, body, headers, forged)
        assert (await messages(client, tenant, conv["id"]))[0]["body"] == "Hola, ¿dónde está mi pedido?"

        created = json.loads(load_fixture("sms", "message_created.json"))
        path = f"/2010-04-01/Accounts/{sid}/Messages.json"
        twilio.script(path, ScriptedResponse(201, created))
        await reply(client, tenant, conv["id"], "Thanks, we are on it")
        await drain(db)
        [sent] = twilio.requests_to(path)
        assert (
            sent.headers["authorization"]
            == "Basic " + base64.b64encode(f"{sid}:{auth_token}".encode()).decode()
        )
        assert sent.form() == {
            "To": "+14155550123",
            "From": "+14155550100",
            "Body": "Thanks, we are on it",
            # Without it Twilio would never tell us about delivery.
            "StatusCallback": public,
        }

        status = json.loads(load_fixture("sms", "status_delivered.json"))
        status.update(MessageSid=created["sid"], SmsSid=created["sid"])
        body, headers = signed(status)
        assert (await client.post(hook, content=body, headers=headers)).status_code == 200
        [out] = await outgoing(client, tenant, conv["id"])
        assert out["delivery_status"] == "delivered" and out["external_id"] == created["sid"]
