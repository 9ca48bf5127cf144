"""HTML mail bodies: a sanitized copy safe to show an agent, and a plain-text rendering."""

from __future__ import annotations

import copy
import re

import nh3
from inscriptis import get_text  # type: ignore[import-untyped]
from inscriptis.css_profiles import CSS_PROFILES  # type: ignore[import-untyped]
from inscriptis.model.config import ParserConfig  # type: ignore[import-untyped]

# Layout tags and attributes that mail clients still use (table layouts, <font>).
_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "tfoot"}
_ATTRIBUTES: dict[str, set[str]] = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
_ATTRIBUTES.setdefault("*", set()).update({"style", "dir", "lang", "title"})
_ATTRIBUTES["font"] = {"color", "face", "size"}
for _cell in ("td", "th"):
    _ATTRIBUTES[_cell] |= {"width", "height", "valign", "bgcolor", "nowrap"}
_ATTRIBUTES["table"] |= {"width", "border", "cellpadding", "cellspacing", "bgcolor"}
_ATTRIBUTES["tr"] |= {"valign", "bgcolor"}

# Only properties that cannot fetch anything: background, background-image, content,
# list-style-image, cursor and @import can all name a URL that would beacon the sender.
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "text-indent",
    "line-height",
    "letter-spacing",
    "white-space",
    "vertical-align",
    "width",
    "height",
    "max-width",
    "margin",
    "margin-top",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "padding",
    "padding-top",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "border",
    "border-collapse",
    "border-color",
    "border-style",
    "border-width",
    "display",
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)

_TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)
_BLANK_RUNS = re.compile(r"\n{3,}")


def sanitize_html(html: str, *, allow_remote_images: bool = False) -> str:
    """Strip scripts, handlers and active content; by default also the ``src`` of
    remote images, which senders use as read receipts. ``cid:`` inline images stay."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value.lower().startswith("cid:"):
                return value
            if _REMOTE.match(value):
                return value if allow_remote_images else None
            return None
        return value

    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_STYLE_PROPERTIES,
        link_rel="noopener noreferrer nofollow",
        url_relative="deny",
    )


def html_to_text(html: str) -> str:
    if not html.strip():
        return ""
    text: str = get_text(html, _TEXT_CONFIG)
    lines = [line.rstrip() for line in text.replace("\xa0", " ").splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
