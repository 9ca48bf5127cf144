"""The demo's shop page, ``/demo/widget``: it stands in for the company's own site, so
whoever tries the demo can chat as a visitor in one tab and answer as an agent in
another. Mounted only by ``meridian demo``.
"""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from meridian.auth.deps import Session
from meridian.core.errors import NotFound
from meridian.demo.seed import DEMO_WORKSPACE
from meridian.demo.webchat import webchat_inbox
from meridian.inboxes.service import embed_snippet
from meridian.security.headers import CONSOLE_CSP
from meridian.workspaces.models import Workspace

WIDGET_PATH = "/demo/widget"
# The widget styles its shadow root with a <style> element it builds at run time, which a
# CSP without 'unsafe-inline' for styles refuses (docs/channels/webchat.md). Scripts stay
# 'self' only: the page runs nothing but the widget script.
PAGE_CSP = CONSOLE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

router = APIRouter(include_in_schema=False)


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Globex store (Meridian demo)</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }}
header {{ background: #111827; color: #fff; padding: 1rem 2rem; }}
main {{ max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
.product {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 1rem 1.5rem; }}
</style>
</head>
<body>
<header><strong>Globex store</strong> · a demo shop page</header>
<main>
<h1>Try Meridian's web chat</h1>
<p>This page stands in for your own website. It embeds the chat widget of the demo's
<strong>{inbox}</strong> inbox with the snippet an administrator copies from the inbox's settings.</p>
<ol>
<li>Open the chat with the button at the bottom right and write a message.</li>
<li>In another tab, sign in to the <a href="/">console</a> (for example as admin@demo.meridian.dev):
the conversation appears in the inbox; answer it there.</li>
<li>The answer appears here live; while you type here, the agent sees that you are typing.</li>
</ol>
<div class="product"><h2>Globex running shoes</h2><p>Lightweight, made to last. 89.00 EUR</p></div>
</main>
{snippet}
</body>
</html>
"""


@router.get(WIDGET_PATH, response_class=HTMLResponse)
async def widget_page(session: Session) -> HTMLResponse:
    workspace_id = await session.scalar(select(Workspace.id).where(Workspace.name == DEMO_WORKSPACE))
    inbox = None if workspace_id is None else await webchat_inbox(session, workspace_id=workspace_id)
    snippet = None if inbox is None else embed_snippet(inbox)
    if inbox is None or snippet is None:
        raise NotFound("demo web chat inbox")
    return HTMLResponse(
        PAGE.format(inbox=html.escape(inbox.name), snippet=snippet),
        headers={"Content-Security-Policy": PAGE_CSP},
    )
