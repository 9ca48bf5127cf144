"""Files an agent attaches to a reply or note: the limits they must meet, and storing them.

The limits are the common ground of the channels a reply may leave through: Twilio MMS
and WhatsApp images stop at 5 MB, so a file over ``MAX_FILE_BYTES`` would be refused by
some vendor after the agent moved on; better to say so while the agent is still there.
"""

from __future__ import annotations

import mimetypes
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments.models import Attachment
from meridian.attachments.storage import digest
from meridian.core.errors import ProblemError
from meridian.vault import files
from meridian.vault.keys import ContactErased

MAX_FILES = 5
MAX_FILE_BYTES = 5_000_000

# What the vendors accept as media or documents. Not HTML, SVG or scripts: a customer
# opening them would run whatever they carry.
ALLOWED_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "audio/aac",
        "video/mp4",
        "video/3gpp",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)

# The first bytes of the image types vendors and browsers show inline: an "image" that
# is not one would reach the customer's phone as a broken picture, or worse.
_IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def sniff_image(data: bytes) -> str | None:
    """The raster image type the bytes really are (PNG, JPEG, GIF, WebP), else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for kind, magics in _IMAGE_MAGIC.items() if data.startswith(magics)), None)


# For the file picker's ``accept``: the types, plus extensions for systems that do not
# know a type's name (Office files on some Linux desktops).
ACCEPT = ",".join(sorted(ALLOWED_TYPES)) + ",.csv,.txt,.pdf,.zip,.doc,.docx,.xls,.xlsx,.ppt,.pptx"


@dataclass(frozen=True)
class NewFile:
    """One file as the agent sent it, before checks."""

    filename: str
    content_type: str
    data: bytes


def clean_filename(filename: str | None) -> str:
    """The last path segment, NFC, without control characters, at most 255 characters.

    Browsers send a bare name, but a script may send a path; control characters would end
    up in mail headers and vendor fields."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().strip(".")
    if len(base) > 255:
        # Keep the extension: it is how the customer's device opens the file.
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 16 else base[:255]
    return base or "file"


def _media_type(file: NewFile, name: str) -> str:
    declared = file.content_type.split(";")[0].strip().lower()
    if declared in ("", "application/octet-stream"):
        # Browsers send octet-stream for extensions they do not know (.csv on some systems).
        guessed, _ = mimetypes.guess_type(name, strict=False)
        return (guessed or declared or "application/octet-stream").lower()
    return declared


def _looks_like(media_type: str, data: bytes) -> bool:
    # Only images are checked by content: they are what vendors and browsers render.
    return not media_type.startswith("image/") or sniff_image(data) == media_type


def check_files(items: Sequence[NewFile]) -> list[NewFile]:
    """The files with clean names and types, or a 4xx problem naming the first bad one."""
    if len(items) > MAX_FILES:
        raise ProblemError(
            422,
            f"attach at most {MAX_FILES} files to one message",
            code="too_many_files",
            params={"max": MAX_FILES},
            errors=[{"pointer": "/attachments", "message": f"at most {MAX_FILES} files"}],
        )
    checked: list[NewFile] = []
    for index, item in enumerate(items):
        name = clean_filename(item.filename)
        pointer = f"/attachments/{index}"
        if not item.data:
            raise ProblemError(
                422,
                f"{name} is empty",
                code="file_empty",
                params={"name": name},
                errors=[{"pointer": pointer, "message": "empty file"}],
            )
        if len(item.data) > MAX_FILE_BYTES:
            raise ProblemError(
                413,
                f"{name} is larger than {MAX_FILE_BYTES // 1_000_000} MB, the most every channel accepts",
                code="file_too_large",
                params={"name": name, "mb": MAX_FILE_BYTES // 1_000_000},
                errors=[{"pointer": pointer, "message": "file too large"}],
            )
        media_type = _media_type(item, name)
        if media_type not in ALLOWED_TYPES:
            raise ProblemError(
                415,
                f"{name}: files of type {media_type} cannot be sent; "
                "images, PDF, text, audio, video, office documents and ZIP can",
                code="file_type",
                params={"name": name},
                errors=[{"pointer": pointer, "message": "file type not allowed"}],
            )
        if not _looks_like(media_type, item.data):
            raise ProblemError(
                415,
                f"{name} is not the {media_type} file its name or type claims",
                code="file_mismatch",
                params={"name": name},
                errors=[{"pointer": pointer, "message": "content does not match the type"}],
            )
        checked.append(NewFile(name, media_type, item.data))
    return checked


async def store_files(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    message_id: uuid.UUID,
    contact_id: uuid.UUID,
    region: str,
    items: Sequence[NewFile],
) -> None:
    """Seal each file with the contact's key and add its row to the caller's transaction."""
    for item in items:
        try:
            key = await files.put_attachment(
                session, workspace_id=workspace_id, contact_id=contact_id, region=region, data=item.data
            )
        except ContactErased:
            raise ProblemError(
                409, "this contact was erased; files cannot be stored for them", code="contact_erased"
            ) from None
        session.add(
            Attachment(
                workspace_id=workspace_id,
                message_id=message_id,
                contact_id=contact_id,
                region=region,
                filename=item.filename,
                content_type=item.content_type,
                size=len(item.data),
                sha256=digest(item.data),
                storage_key=key,
            )
        )
