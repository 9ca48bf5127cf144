"""Images in articles: upload with checks, store in ``kb_assets``, serve to the help center.

An image is accepted only when its first bytes say it is PNG, JPEG, GIF or WebP: the
type the uploader claims is ignored, and SVG is refused (it can carry script). It is
served from ``/help/assets/{id}/{name}`` with the sniffed type, ``nosniff`` and a
sandbox CSP, so even a file that fooled the sniffing could not run in our origin.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.attachments import uploads
from meridian.attachments.uploads import sniff_image
from meridian.auth.service import Principal
from meridian.core.errors import ProblemError
from meridian.kb.models import KbAsset

# Help-center pages load every image on the page; a few hundred KB is typical for a
# screenshot, and 5 MB matches the largest image the channels accept.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
PATH_PREFIX = "/help/assets/"

# (media type, file extension) of the raster types browsers show; SVG is not one of them.
_SIGNATURES: tuple[tuple[str, str], ...] = (
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
)


def _extension(content_type: str) -> str:
    return dict(_SIGNATURES).get(content_type, "bin")


def clean_filename(filename: str, content_type: str) -> str:
    """The last path part, without control characters, with the extension of its real type."""
    name = uploads.clean_filename(filename)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'image')[:200]}.{_extension(content_type)}"


def asset_url(asset: KbAsset) -> str:
    """A path that works in the console preview and on the help center alike."""
    return f"{PATH_PREFIX}{asset.id}/{quote(asset.filename, safe='')}"


def alt_text(filename: str) -> str:
    """A starting alt text for the Markdown snippet; the author should improve it."""
    stem = filename.rsplit(".", 1)[0]
    return "".join(c if c not in "[]\\" else " " for c in stem).replace("_", " ").replace("-", " ").strip()


def markdown_for(asset: KbAsset) -> str:
    return f"![{alt_text(asset.filename)}]({asset_url(asset)})"


@dataclass(frozen=True)
class Uploaded:
    asset: KbAsset
    url: str
    markdown: str


async def upload_image(
    *, session: AsyncSession, principal: Principal, filename: str, data: bytes
) -> Uploaded:
    """Check and store an article image; the same bytes uploaded again reuse the first row."""
    if not data:
        raise ProblemError(422, "the file is empty", errors=[{"pointer": "/file", "message": "empty"}])
    if len(data) > MAX_IMAGE_BYTES:
        raise ProblemError(
            413,
            f"an image may be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
            errors=[{"pointer": "/file", "message": "too large"}],
        )
    content_type = sniff_image(data)
    if content_type is None:
        raise ProblemError(
            415,
            "only PNG, JPEG, GIF and WebP images can be uploaded",
            errors=[{"pointer": "/file", "message": "not a PNG, JPEG, GIF or WebP image"}],
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = await _by_digest(session, principal.workspace_id, digest)
    if existing is None:
        asset = KbAsset(
            workspace_id=principal.workspace_id,
            filename=clean_filename(filename, content_type),
            content_type=content_type,
            size=len(data),
            sha256=digest,
            data=data,
            author_id=principal.agent_id,
        )
        session.add(asset)
        try:
            await session.commit()
        except IntegrityError:
            # Someone uploaded the same picture at the same moment: use theirs.
            await session.rollback()
            existing = await _by_digest(session, principal.workspace_id, digest)
            if existing is None:
                raise
        else:
            existing = asset
    return Uploaded(asset=existing, url=asset_url(existing), markdown=markdown_for(existing))


async def _by_digest(session: AsyncSession, workspace_id: uuid.UUID, digest: str) -> KbAsset | None:
    found: KbAsset | None = await session.scalar(
        select(KbAsset).where(KbAsset.workspace_id == workspace_id, KbAsset.sha256 == digest)
    )
    return found


async def read_asset(session: AsyncSession, *, asset_id: uuid.UUID) -> KbAsset | None:
    """Public read: anyone with the link, as with any image on a public help center."""
    found: KbAsset | None = await session.get(KbAsset, asset_id)
    return found
