"""The composer's multipart form: files go with a reply or a note, a refused file is a 4xx
fragment saying why (and nothing is stored), an empty file input is no file at all."""

from __future__ import annotations

import httpx

from tests.console.helpers import incoming, sign_in
from tests.factories import Factory

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


async def test_composer_uploads(client: httpx.AsyncClient, factory: Factory) -> None:
    client.cookies.clear()
    tenant = await factory.tenant()
    inbox_id, _ = await factory.inbox(tenant)
    conversation_id = (await incoming(client, tenant.headers, inbox_id, "Hola"))["conversation_id"]
    agent = await factory.agent(tenant, name="Ana")
    csrf = await sign_in(client, agent.email)
    url = f"/conversations/{conversation_id}/messages"
    hx = {"X-CSRF-Token": csrf, "HX-Request": "true"}

    page = await client.get(f"/conversations/{conversation_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="attachments"' in page.text

    sent = await client.post(
        url,
        data={"body": "Your photo", "kind": "reply"},
        files=[("attachments", ("foto.png", PNG, "image/png"))],
        headers=hx,
    )
    assert sent.status_code == 200, sent.text
    assert 'class="attachment-preview"' in sent.text and "foto.png" in sent.text

    refused = await client.post(
        url,
        data={"body": "A page", "kind": "note"},
        files=[("attachments", ("x.svg", b"<svg/>", "image/svg+xml"))],
        headers=hx,
    )
    assert refused.status_code == 415
    assert 'id="thread"' in refused.text and "x.svg cannot be sent: only images" in refused.text

    # What a browser sends for an untouched file input: one nameless, empty part.
    nothing = await client.post(
        url,
        data={"body": "", "kind": "reply"},
        files=[("attachments", ("", b"", "application/octet-stream"))],
        headers=hx,
    )
    assert nothing.status_code == 422 and "Write a message first." in nothing.text

    note = await client.post(
        url, data={"kind": "note"}, files=[("attachments", ("scan.png", PNG, "image/png"))], headers=hx
    )
    assert note.status_code == 200

    messages = (
        await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers)
    ).json()["items"]
    assert [(m["direction"], [a["filename"] for a in m["attachments"]]) for m in messages] == [
        ("incoming", []),
        ("outgoing", ["foto.png"]),
        ("note", ["scan.png"]),
    ]

    # The refusal is said in the agent's own language, not the API's English detail.
    client.cookies.clear()
    german = await factory.agent(tenant, name="Jonas", locale="de")
    csrf = await sign_in(client, german.email)
    refused = await client.post(
        url,
        data={"body": "Eine Seite", "kind": "note"},
        files=[("attachments", ("x.svg", b"<svg/>", "image/svg+xml"))],
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert refused.status_code == 415
    assert "x.svg kann nicht gesendet werden" in refused.text and "cannot be sent" not in refused.text
