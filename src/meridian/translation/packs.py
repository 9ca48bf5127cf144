"""Argos Translate language packs: find a pair in argos' package index and install it.

The index is a JSON list of package descriptions (``from_code``, ``to_code``,
``package_version``, ``links``...), documented in ``argostranslate/package.py``; a
package is a zip archive (``.argosmodel``) that ``argostranslate.package.install_from_path``
unpacks into argos' package directory. We fetch with httpx rather than argos'
``update_package_index``, which logs and swallows network errors: an operator on a
machine without internet must get a clear message and a failing exit code.
"""

from __future__ import annotations

import asyncio
import importlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from meridian.languages.tags import normalize_language_tag, primary_language
from meridian.translation.argos import ALIASES

# argostranslate.settings.remote_package_index
DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
# Argos pivots through English when no direct package exists (es -> en -> ja).
PIVOT = "en"


class PackError(Exception):
    """Installing failed for a reason the operator can act on; ``str`` says which."""


@dataclass(frozen=True, slots=True)
class Pack:
    from_code: str
    to_code: str
    version: str
    links: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.from_code} -> {self.to_code} ({self.version or 'no version'})"


def argos_codes(tag: str) -> tuple[str, ...]:
    """The codes argos may list ``tag`` under, best first; ``ValueError`` for a non-tag."""
    normalized = normalize_language_tag(tag)
    codes = [*ALIASES.get(normalized, ()), normalized, primary_language(normalized)]
    return tuple(dict.fromkeys(codes))


def parse_index(data: Any) -> list[Pack]:
    if not isinstance(data, list):
        raise PackError("the package index is not a JSON list of packages")
    packs = []
    for entry in data:
        if not isinstance(entry, dict) or entry.get("type", "translate") != "translate":
            continue
        source, target, links = entry.get("from_code"), entry.get("to_code"), entry.get("links")
        if isinstance(source, str) and isinstance(target, str) and isinstance(links, list):
            packs.append(Pack(source, target, str(entry.get("package_version", "")), tuple(map(str, links))))
    return packs


async def fetch_index(http: httpx.AsyncClient, url: str) -> list[Pack]:
    try:
        response = await http.get(url)
        response.raise_for_status()
        data = response.json()
    except httpx.HTTPStatusError as exc:
        raise PackError(f"the package index at {url} answered {exc.response.status_code}") from exc
    except httpx.HTTPError as exc:
        raise PackError(
            f"cannot reach the Argos package index at {url} ({type(exc).__name__}); "
            "this machine may have no internet access: download the .argosmodel elsewhere "
            "and install it with argospm, or pass --index-url"
        ) from exc
    except ValueError as exc:
        raise PackError(f"the package index at {url} is not JSON") from exc
    return parse_index(data)


def choose(packs: list[Pack], source: str, target: str) -> list[Pack]:
    """The packages that translate ``source`` to ``target``: one direct, or two via English."""
    sources, targets = argos_codes(source), argos_codes(target)

    def find(froms: tuple[str, ...], tos: tuple[str, ...]) -> Pack | None:
        for f in froms:
            for t in tos:
                for pack in packs:
                    if pack.from_code == f and pack.to_code == t:
                        return pack
        return None

    direct = find(sources, targets)
    if direct is not None:
        return [direct]
    first, second = find(sources, (PIVOT,)), find((PIVOT,), targets)
    if first is not None and second is not None and PIVOT not in (sources[0], targets[0]):
        return [first, second]
    offered = sorted({p.to_code for p in packs if p.from_code in sources})
    hint = f"; from {source} the index offers: {', '.join(offered)}" if offered else ""
    raise PackError(f"the package index has no Argos Translate package for {source} -> {target}{hint}")


def _installer() -> Any:
    try:
        return importlib.import_module("argostranslate.package")
    except ImportError as exc:
        raise PackError(
            "Argos Translate is not installed here: pip install argostranslate, then run this again"
        ) from exc


async def _download(http: httpx.AsyncClient, pack: Pack, folder: Path) -> Path:
    errors = []
    for link in pack.links:
        try:
            response = await http.get(link, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            errors.append(f"{link}: {type(exc).__name__}")
            continue
        path = folder / f"{pack.from_code}_{pack.to_code}.argosmodel"
        path.write_bytes(response.content)
        if zipfile.is_zipfile(path):
            return path
        errors.append(f"{link}: not a zip archive")
    raise PackError(f"could not download {pack.label}: {'; '.join(errors) or 'the index lists no link'}")


async def install_pair(
    *, source: str, target: str, index_url: str = DEFAULT_INDEX_URL, http_timeout: float = 60.0
) -> list[Pack]:
    """Install what translating ``source`` -> ``target`` needs; returns the packages installed."""
    if normalize_language_tag(source) == normalize_language_tag(target):
        raise ValueError("the two languages are the same")
    async with httpx.AsyncClient(timeout=httpx.Timeout(http_timeout, connect=10.0)) as http:
        packs = choose(await fetch_index(http, index_url), source, target)
        installer = _installer()
        with tempfile.TemporaryDirectory(prefix="meridian-argos-") as folder:
            for pack in packs:
                path = await _download(http, pack, Path(folder))
                # Unzipping a few hundred megabytes: off the event loop.
                await asyncio.to_thread(installer.install_from_path, path)
    return packs
