"""The permission descriptions are written once (auth/permissions.py): the API sends them
in English, the extractor finds them, and every console catalog translates them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from meridian.auth import permissions
from meridian.auth.permissions import PERMISSIONS
from meridian.console.i18n import LOCALES_DIR, SUPPORTED
from tests.console.helpers import sign_in
from tests.factories import Factory


def _catalog(locale: str) -> dict[str, tuple[str, bool]]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {
        m.id: (m.string if isinstance(m.string, str) else "", m.fuzzy)
        for m in catalog
        if isinstance(m.id, str) and m.id
    }


def test_the_extractor_finds_every_description() -> None:
    # The keyword the console's extraction uses (tests/console/test_catalogs.py).
    found = {
        message
        for _lineno, message, _comments, _context in extract_from_file(
            "python", str(Path(permissions.__file__)), keywords={"N_": None}
        )
    }
    assert found == set(PERMISSIONS.values())


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_catalog_translates_every_description(locale: str) -> None:
    catalog = _catalog(locale)
    missing = sorted(d for d in PERMISSIONS.values() if d not in catalog)
    empty = sorted(d for d in PERMISSIONS.values() if d in catalog and not catalog[d][0])
    fuzzy = sorted(d for d in PERMISSIONS.values() if d in catalog and catalog[d][1])
    assert not missing, f"{locale} lacks: {missing}"
    assert not empty, f"{locale} has empty translations: {empty}"
    assert not fuzzy, f"{locale} has fuzzy entries: {fuzzy}"
    if locale != "en":
        # A copied English msgstr would pass the checks above and still not be a translation.
        untranslated = sorted(d for d in PERMISSIONS.values() if catalog[d][0] == d)
        assert not untranslated, f"{locale} keeps the English: {untranslated}"


async def test_the_role_form_shows_the_descriptions_in_the_viewers_language(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    tenant = await factory.tenant()
    admin = await factory.agent(tenant, role="admin", locale="de")
    client.cookies.clear()
    await sign_in(client, admin.email)
    form = await client.get("/admin/roles/new")
    assert form.status_code == 200, form.text[:500]
    assert "Textbausteine anlegen und bearbeiten" in form.text
    assert "Create and edit canned responses" not in form.text
    # The API sends the English of the same table, whatever the caller's language.
    listed = await client.get("/api/v1/roles", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    catalog = {p["name"]: p["description"] for p in listed.json()["catalog"]}
    assert catalog["canned.manage"] == "Create and edit canned responses"
