"""``meridian translate install``: argos' package index served locally, never the internet."""

from __future__ import annotations

import importlib.util
import io
import socket
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from meridian.cli import app
from meridian.translation.packs import PackError, _download, choose, parse_index
from tests.support.vendor_server import ScriptedResponse
from tests.translation.support import Vendor


def _entry(source: str, target: str, url: str) -> dict[str, object]:
    # The shape of argospm-index's index.json (argostranslate/package.py, IPackage).
    return {
        "package_version": "1.9",
        "argos_version": "1.9.0",
        "from_code": source,
        "from_name": source,
        "to_code": target,
        "to_name": target,
        "links": [f"{url}/{source}_{target}.argosmodel"],
        "type": "translate",
    }


def _index(url: str) -> list[dict[str, object]]:
    pairs = [("es", "en"), ("en", "es"), ("en", "ja"), ("ja", "en"), ("en", "zt"), ("en", "pb")]
    return [_entry(s, t, url) for s, t in pairs] + [{"type": "sbd", "code": "stanza", "links": []}]


runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["translate", "install", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["es", "not a tag"], "not a language tag"),
        (["es_MX", "es-MX"], "same language"),
        (["es"], "Missing argument"),
    ],
)
def test_arguments_are_checked_before_anything_is_fetched(
    vendor: Vendor, args: list[str], message: str
) -> None:
    code, output = _run(*args, "--index-url", f"{vendor.url}/index.json")
    assert code == 2
    assert message in output
    assert vendor.server.requests_to(f"{vendor.prefix}/index.json") == []


def test_no_network_fails_clearly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there any more: what a machine without internet sees.
    code, output = _run("es", "en", "--index-url", f"http://127.0.0.1:{port}/index.json")
    assert code == 1
    assert "cannot reach the Argos package index" in output


def test_an_index_that_errors_or_is_not_json_fails_clearly(vendor: Vendor) -> None:
    vendor.script("/index.json", ScriptedResponse(503, {"error": "down"}), ScriptedResponse(200, b"<html>"))
    assert _run("es", "en", "--index-url", f"{vendor.url}/index.json") == (
        1,
        f"error: the package index at {vendor.url}/index.json answered 503\n",
    )
    code, output = _run("es", "en", "--index-url", f"{vendor.url}/index.json")
    assert (code, "is not JSON" in output) == (1, True)


def test_an_unknown_pair_names_what_the_index_offers(vendor: Vendor) -> None:
    vendor.script("/index.json", ScriptedResponse(200, _index(vendor.url)))
    code, output = _run("ja", "ko", "--index-url", f"{vendor.url}/index.json")
    assert code == 1
    assert "no Argos Translate package for ja -> ko" in output
    assert "from ja the index offers: en" in output


@pytest.mark.skipif(
    importlib.util.find_spec("argostranslate") is not None, reason="argostranslate is installed"
)
def test_a_known_pair_without_argostranslate_says_what_to_install(vendor: Vendor) -> None:
    vendor.script("/index.json", ScriptedResponse(200, _index(vendor.url)))
    code, output = _run("es", "en", "--index-url", f"{vendor.url}/index.json")
    assert code == 1
    assert "pip install argostranslate" in output


def test_pairs_map_bcp47_to_argos_codes_and_pivot_through_english() -> None:
    packs = parse_index(_index("http://x"))
    assert [(p.from_code, p.to_code) for p in choose(packs, "es-MX", "en")] == [("es", "en")]
    assert [(p.from_code, p.to_code) for p in choose(packs, "en", "zh-Hant")] == [("en", "zt")]
    assert [(p.from_code, p.to_code) for p in choose(packs, "en", "pt-BR")] == [("en", "pb")]
    # No direct es -> ja package: argos translates through English with two.
    assert [(p.from_code, p.to_code) for p in choose(packs, "es", "ja")] == [("es", "en"), ("en", "ja")]
    with pytest.raises(PackError, match="zh-Hans"):
        choose(packs, "en", "zh-Hans")
    with pytest.raises(PackError, match="not a JSON list"):
        parse_index({"packages": []})


async def test_download_tries_each_link_and_keeps_only_a_zip(vendor: Vendor, tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("translate-es_en/metadata.json", '{"from_code": "es", "to_code": "en"}')
    vendor.script("/mirror1/es_en.argosmodel", ScriptedResponse(404, {"error": "gone"}))
    vendor.script("/mirror2/es_en.argosmodel", ScriptedResponse(200, b"not a zip"))
    vendor.script("/mirror3/es_en.argosmodel", ScriptedResponse(200, archive.getvalue()))
    links = [f"{vendor.url}/mirror{n}/es_en.argosmodel" for n in (1, 2, 3)]
    pack = parse_index([{**_entry("es", "en", vendor.url), "links": links}])[0]
    async with httpx.AsyncClient() as http:
        path = await _download(http, pack, tmp_path)
        assert zipfile.ZipFile(path).namelist() == ["translate-es_en/metadata.json"]
        vendor.script("/mirror2/es_en.argosmodel", ScriptedResponse(200, b"<html>a captive portal</html>"))
        only_bad = parse_index([{**_entry("es", "en", vendor.url), "links": links[1:2]}])[0]
        with pytest.raises(PackError, match="not a zip archive"):
            await _download(http, only_bad, tmp_path)
