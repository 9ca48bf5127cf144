"""A DeepL stand-in that translates from a phrase book, and helpers to run the background side."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from meridian.db.engine import Database
from meridian.events.dispatch import dispatch_batch, load_subscribers
from meridian.jobs.app import open_job_app
from tests.support.vendor_server import RecordedRequest, ScriptedResponse
from tests.translation.support import Vendor

DEEPL_PATH = "/v2/translate"
DEEPL_KEY = "deepl-test-key:fx"
_IGNORED = re.compile(r"(<x\b[^>]*>.*?</x>)", re.S)


@dataclass
class PhraseBook:
    """What the stand-in knows: {target_lang (DeepL code): {source text: translation}}.

    Unknown text comes back as ``[TARGET] text``, so a test sees which target was asked
    for. ``<x>`` elements pass through untouched, as DeepL documents for ignore_tags.
    """

    phrases: dict[str, dict[str, str]] = field(default_factory=dict)

    def translate(self, text: str, target: str, *, xml: bool) -> str:
        known = self.phrases.get(target, {})
        if text in known:
            return known[text]
        parts = _IGNORED.split(text) if xml else [text]
        out = []
        for part in parts:
            if xml and part.startswith("<x"):
                out.append(part)
            elif part.strip():
                out.append(known.get(part.strip(), f"[{target}] {part.strip()}"))
            else:
                out.append(part)
        return re.sub(r"\s+", " ", " ".join(p for p in out if p.strip())).strip()

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        if request.headers.get("authorization") != f"DeepL-Auth-Key {DEEPL_KEY}":
            return ScriptedResponse(403, {"message": "Authorization failure, check auth_key"})
        body = request.json()
        xml = body.get("tag_handling") == "xml"
        return ScriptedResponse(
            200,
            {
                "translations": [
                    {
                        "detected_source_language": body.get("source_lang", "ES"),
                        "text": self.translate(t, body["target_lang"], xml=xml),
                    }
                    for t in body["text"]
                ]
            },
        )


async def configure_deepl(
    client: httpx.AsyncClient, headers: Mapping[str, str], vendor: Vendor, **extra: Any
) -> dict[str, Any]:
    body = {"provider": "deepl", "api_key": DEEPL_KEY, "api_base_url": vendor.url, "agent_language": "en"}
    response = await client.put("/api/v1/settings/translation", headers=headers, json={**body, **extra})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def dispatch_all(db: Database) -> None:
    """Run every subscriber on every pending domain event, as the worker's dispatcher does."""
    load_subscribers()
    while await dispatch_batch(db):
        pass


async def run_translation_jobs(db: Database, *, due_now: bool = False) -> None:
    """Run the queued translation jobs with a real procrastinate worker until none is left."""
    if due_now:
        async with db.session() as session:
            await session.execute(
                text(
                    "UPDATE procrastinate_jobs SET scheduled_at = now() "
                    "WHERE queue_name = 'translation' AND status = 'todo'"
                )
            )
            await session.commit()
    async with open_job_app(db.psycopg_conninfo(), max_size=2) as app:
        await app.run_worker_async(
            queues=["translation"], wait=False, concurrency=1, install_signal_handlers=False
        )


async def incoming(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    inbox_id: object,
    body: str,
    *,
    identifier: str = "customer-1",
    locale: str | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    contact: dict[str, Any] = {"identifier": identifier, "name": "Lucía Fernández"}
    if locale:
        contact["locale"] = locale
    payload: dict[str, Any] = {"contact": contact, "body": body}
    if external_id:
        payload["external_id"] = external_id
    response = await client.post(f"/api/v1/inboxes/{inbox_id}/incoming", headers=headers, json=payload)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def messages(client: httpx.AsyncClient, headers: Mapping[str, str], conversation_id: str) -> list[Any]:
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items
