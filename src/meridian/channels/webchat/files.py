"""Files in the web chat: what a visitor may upload, and which files a visitor may read.

Anyone on the site can reach the upload, so the type is decided from the bytes, not
from what the browser claimed: a file is accepted only when its content is one of a
few everyday kinds (photos, PDF, plain text, Word and Excel documents). Stored files
go through the same sealed attachment storage as every other inbound file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.routes import INLINE_TYPES
from meridian.attachments.service import FAILED, PENDING
from meridian.attachments.uploads import clean_filename, sniff_image
from meridian.channels.webchat.service import VISIBLE_DIRECTIONS
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.core.errors import NotFound, ProblemError
from meridian.inboxes.models import Inbox
from meridian.messages.models import Message
from meridian.vault import files

MAX_FILE_BYTES = 5 * 1024 * 1024
# Office Open XML files are ZIP archives; the extension says which kind.
_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_TEXT = {".txt": "text/plain", ".csv": "text/csv", ".log": "text/plain"}
ACCEPTED = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    *_OFFICE.values(),
)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def _extension(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def sniff(data: bytes, filename: str) -> str | None:
    """The file's real type when it is one we accept, else None."""
    if image := sniff_image(data):
        return image
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    ext = _extension(filename)
    if data.startswith(b"PK\x03\x04"):
        return _OFFICE.get(ext)
    if ext in _TEXT and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return _TEXT[ext]
    return None


def check_upload(*, filename: str | None, data: bytes) -> Upload:
    """Validate one visitor file; a ProblemError (413, 415, 422) says what is wrong."""
    name = clean_filename(filename)
    if not data:
        raise ProblemError(
            422, "the file is empty", errors=[{"loc": ["body", "file"], "msg": "the file is empty"}]
        )
    if len(data) > MAX_FILE_BYTES:
        raise ProblemError(413, f"files may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
    content_type = sniff(data, name)
    if content_type is None:
        raise ProblemError(
            415,
            "this kind of file cannot be sent here; send a photo (PNG, JPEG, GIF, WebP), "
            "a PDF, a text file or a Word or Excel document",
        )
    return Upload(name, content_type, data)


@dataclass(frozen=True)
class VisitorFile:
    attachment: Attachment
    data: bytes
    inline: bool
    # Only raster images keep their type (the widget previews them); anything else is
    # an opaque download, so nothing an agent attached can run on the site.
    media_type: str


async def read_visitor_file(
    session: AsyncSession, *, inbox: Inbox, contact: Contact | None, attachment_id: uuid.UUID
) -> VisitorFile:
    """A file of a message the visitor may see: in their own conversations of this
    inbox, on their message or an agent's reply, never on a private note."""
    if contact is None:
        raise NotFound("attachment")
    row = await session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.workspace_id == inbox.workspace_id,
            Conversation.inbox_id == inbox.id,
            Conversation.contact_id == contact.id,
            Message.direction.in_(VISIBLE_DIRECTIONS),
        )
    )
    if row is None:
        raise NotFound("attachment")
    if row.storage_key.startswith(PENDING):
        raise ProblemError(409, "this file is not ready yet; try again shortly", headers={"Retry-After": "5"})
    data = None
    if not row.storage_key.startswith(FAILED):
        data = await files.get_attachment(
            session, contact_id=row.contact_id, region=row.region, storage_key=row.storage_key
        )
    if data is None:
        raise ProblemError(410, "this file is no longer available", title="Gone")
    content_type = row.content_type.split(";")[0].strip().lower()
    inline = content_type in INLINE_TYPES
    return VisitorFile(row, data, inline, content_type if inline else "application/octet-stream")
