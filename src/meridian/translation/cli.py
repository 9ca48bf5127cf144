"""``meridian translate ...``: offline translation tools."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from meridian.translation.packs import DEFAULT_INDEX_URL

translate_app = typer.Typer(help="Machine translation.", no_args_is_help=True)


@translate_app.command("install")
def install(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Language to translate from (es, pt-BR...).")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Language to translate into (en, zh-Hant...).")],
    index_url: Annotated[
        str,
        typer.Option(envvar="MERIDIAN_ARGOS_INDEX_URL", help="Argos Translate package index (a mirror)."),
    ] = DEFAULT_INDEX_URL,
) -> None:
    """Install the Argos Translate language package(s) for FROM -> TO (needs internet)."""
    from meridian.languages.tags import normalize_language_tag
    from meridian.translation.packs import PackError, install_pair

    try:
        source, target = normalize_language_tag(source), normalize_language_tag(target)
        if source == target:
            raise ValueError("FROM and TO are the same language")
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        packs = asyncio.run(install_pair(source=source, target=target, index_url=index_url))
    except PackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for pack in packs:
        typer.echo(f"installed {pack.label}")
