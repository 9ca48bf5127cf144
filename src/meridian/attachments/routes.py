"""``GET /api/v1/attachments/{id}``: the file, for whoever may see its conversation; and
``GET /media/{signed link}``: an outgoing file, for the vendor that delivers it."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Response

from meridian.attachments import links
from meridian.attachments.service import AttachmentFile, read_attachment, read_linked_attachment
from meridian.auth.deps import CurrentPrincipal, Session
from meridian.core.errors import NotFound, path_id

router = APIRouter(tags=["attachments"])
# Outside /api/v1: vendors fetch outgoing files here with a signed link, no token.
media_router = APIRouter(include_in_schema=False)

# Raster images a browser may show inline. SVG is left out on purpose: it can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# RFC 6838 4.2 type/subtype names; anything else the sender claimed becomes octet-stream.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact name as RFC 8187 ``filename*``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"{disposition}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(found: AttachmentFile) -> Response:
    row = found.attachment
    content_type = row.content_type.split(";")[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(content_type):
        content_type = "application/octet-stream"
    inline = content_type in INLINE_TYPES
    return Response(
        content=found.data,
        # The sender chose this type; for anything but safe images the browser is told
        # to save, not render, and never to guess (an "image" that is really HTML).
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition("inline" if inline else "attachment", row.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.get("/attachments/{attachment_id}", response_class=Response)
async def download_attachment(attachment_id: str, principal: CurrentPrincipal, session: Session) -> Response:
    found = await read_attachment(
        session, principal=principal, attachment_id=path_id(attachment_id, "attachment")
    )
    return file_response(found)


@media_router.get(links.PATH + "{token}", response_class=Response)
async def linked_file(token: str, session: Session) -> Response:
    attachment_id = links.read_token(token)
    if attachment_id is None:
        # Forged, malformed and expired links look alike from outside.
        raise NotFound("attachment")
    return file_response(await read_linked_attachment(session, attachment_id=attachment_id))
