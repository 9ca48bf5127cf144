"""Article bodies: Markdown to sanitized HTML, plain text, slugs, and search chunks."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

import nh3
from markdown_it import MarkdownIt

# Passages near this size embed well with e5-small (512-token window) and still read
# as an answer on their own when the bot quotes one.
CHUNK_CHARS = 700
_WS = re.compile(r"\s+")
_HEADING = re.compile(r"^#{1,6}\s")
_SLUG_JUNK = re.compile(r"[^\w]+", re.UNICODE)


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in the source is not passed through: authors write Markdown, and nh3
    # then removes anything unsafe that Markdown itself can produce (javascript: links).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def render_html(body: str) -> str:
    return nh3.clean(_markdown().render(body), link_rel="noopener noreferrer nofollow")


def plain_text(markdown: str) -> str:
    """The words a reader sees, without markup."""
    stripped = nh3.clean(_markdown().render(markdown), tags=set())
    return _WS.sub(" ", html.unescape(stripped)).strip()


def slugify(title: str) -> str:
    """A URL slug in any script: ``Devoluciones y reembolsos`` -> ``devoluciones-y-reembolsos``,
    ``返品について`` stays readable (browsers show it decoded)."""
    normalized = unicodedata.normalize("NFKC", title).lower()
    slug = _SLUG_JUNK.sub("-", normalized).strip("-_")
    return slug[:120].rstrip("-") or "article"


def _blocks(body: str) -> list[tuple[bool, str]]:
    """(is_heading, plain text) per Markdown block, in order."""
    out: list[tuple[bool, str]] = []
    for raw in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        raw = raw.strip()
        if not raw:
            continue
        # A heading glued to its first paragraph is still a heading plus a paragraph.
        first, _, rest = raw.partition("\n")
        if _HEADING.match(first) and rest.strip():
            out.append((True, plain_text(first)))
            raw = rest
        text = plain_text(raw)
        if text:
            out.append((bool(_HEADING.match(raw)), text))
    return out


def chunk_article(title: str, body: str, *, size: int = CHUNK_CHARS) -> list[str]:
    """Passages of about ``size`` characters, each starting with the article title so it
    stands on its own for search and embedding; headings open a new passage."""
    chunks: list[str] = []
    current: list[str] = []
    length = 0

    def flush() -> None:
        nonlocal current, length
        if current:
            chunks.append(f"{title}\n" + " ".join(current))
        current, length = [], 0

    for is_heading, text in _blocks(body):
        if current and (is_heading or length + len(text) > size):
            flush()
        # A single block longer than a passage is cut at sentence ends where possible.
        while len(text) > size:
            cut = max(text.rfind(". ", 0, size), text.rfind("。", 0, size))
            cut = cut + 1 if cut > size // 3 else size
            current.append(text[:cut].strip())
            flush()
            text = text[cut:].strip()
        if text:
            current.append(text)
            length += len(text)
    flush()
    return chunks or [title]
