"""Language detection applied to the product: messages, contacts, conversations."""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.languages.detect import Detection, detect_language, warm_up
from meridian.languages.tags import normalize_language_tag
from meridian.workspaces.models import Workspace

log = logging.getLogger(__name__)

_warm_up_lock = threading.Lock()
_warm_up_started = False


def start_warm_up() -> None:
    """Load the detector's models in a thread, once per process, without delaying start-up.

    Loading takes seconds; a message that arrives meanwhile waits for it in
    ``detect_language``'s own lock, off the event loop (``detect_for_message``). A plain
    thread rather than a task: it outlives the event loop of whoever started it.
    """
    global _warm_up_started
    with _warm_up_lock:
        if _warm_up_started:
            return
        _warm_up_started = True
    threading.Thread(target=_warm_up, name="language-warm-up", daemon=True).start()


def _warm_up() -> None:
    try:
        warm_up()
    except Exception:
        # Detection still works without it: models then load on the first message.
        log.exception("language models could not be preloaded")


def _candidates(workspace: Workspace | None) -> list[str]:
    tags: list[str] = []
    for tag in workspace.languages if workspace else ():
        try:
            tags.append(normalize_language_tag(tag))
        except ValueError:
            continue
    return tags


async def detect_for_message(
    session: AsyncSession, *, contact: Contact, conversation: Conversation, body: str
) -> Detection:
    """Detect the language of an incoming message and let the contact and conversation follow.

    The contact gets a preferred locale from a reliable detection only when it has none:
    one that an agent or the channel set is better information than a few words. The
    conversation follows the customer's latest reliable message, so a customer who
    switches language is answered in the new one.
    """
    workspace = await session.get(Workspace, conversation.workspace_id)
    # lingua's first call loads models for seconds; keep the event loop free meanwhile.
    detection = await asyncio.to_thread(
        detect_language, body, candidates=_candidates(workspace), fallback=contact.locale
    )
    if detection.language is None:
        return detection
    if detection.reliable:
        if contact.locale is None:
            contact.locale = detection.language
        conversation.language = detection.language
    elif conversation.language is None:
        # A guess beats nothing for routing and translation until a reliable message comes.
        conversation.language = detection.language
    return detection
