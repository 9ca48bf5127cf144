"""One-click email unsubscribe (RFC 8058) for marketing and proactive mail.

Such mail carries ``List-Unsubscribe: <https://.../unsubscribe/TOKEN>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. The token is signed with the
deployment's secret and names the workspace, the contact and the purpose of the mail,
so the endpoint needs no sign-in and cannot be pointed at anyone else. It does not
expire: an unsubscribe link must work for as long as the mail sits in a mailbox.

Only ``POST`` withdraws consent (the mail client's one-click request, or the button on
the page ``GET`` shows): link scanners and previews fetch with ``GET`` and must not
unsubscribe anyone.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.config import get_settings
from meridian.contacts.models import Contact
from meridian.core.errors import ProblemError
from meridian.core.ids import parse_id
from meridian.privacy.consent import NEEDS_GRANT, has_consent, record_consent

_SALT = "meridian-unsubscribe"
SOURCE = "email_unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key(), salt=_SALT)


def unsubscribe_token(*, workspace_id: uuid.UUID, contact_id: uuid.UUID, purpose: str) -> str:
    return _serializer().dumps([str(workspace_id), str(contact_id), purpose])


def unsubscribe_url(*, workspace_id: uuid.UUID, contact_id: uuid.UUID, purpose: str) -> str:
    token = unsubscribe_token(workspace_id=workspace_id, contact_id=contact_id, purpose=purpose)
    return f"{get_settings().public_url.rstrip('/')}/unsubscribe/{token}"


async def _target(session: AsyncSession, token: str) -> tuple[Contact, str]:
    try:
        workspace, contact_ref, purpose = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ProblemError(404, "this unsubscribe link is not valid") from None
    workspace_id, contact_id = parse_id(str(workspace)), parse_id(str(contact_ref))
    if workspace_id is None or contact_id is None or purpose not in NEEDS_GRANT:
        raise ProblemError(404, "this unsubscribe link is not valid")
    contact = await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.workspace_id == workspace_id)
    )
    if contact is None or contact.erased_at is not None:
        # Nothing left to unsubscribe (erased contacts receive nothing).
        raise ProblemError(404, "this unsubscribe link is no longer valid")
    return contact, str(purpose)


async def check_unsubscribe(session: AsyncSession, *, token: str) -> str:
    """The purpose a valid token would withdraw; a 404 ``ProblemError`` otherwise. Changes nothing."""
    _, purpose = await _target(session, token)
    return purpose


async def unsubscribe(*, session: AsyncSession, token: str) -> str:
    """Withdraw the token's purpose for email; idempotent (a second click records nothing)."""
    contact, purpose = await _target(session, token)
    if await has_consent(session, contact_id=contact.id, purpose=purpose, channel="email"):
        await record_consent(
            session,
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            purpose=purpose,
            channel="email",
            granted=False,
            source=SOURCE,
        )
        await session.commit()
    return purpose
