"""``meridian audit``: checking the audit log's hash chains from the command line."""

from __future__ import annotations

import asyncio

import typer

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


async def _verify() -> list[tuple[str, int, str, str | None]]:
    from meridian.audit.service import verify_all
    from meridian.config import get_settings
    from meridian.db.engine import make_database, resolve_database_url

    db = make_database(resolve_database_url(get_settings()), pool_size=1)
    try:
        async with db.session() as session:
            reports = await verify_all(session)
    finally:
        await db.dispose()
    return [(str(r.workspace_id), r.entries, r.head, r.problem) for r in reports]


@audit_app.command("verify")
def verify() -> None:
    """Walk every workspace's chain; exit 1 naming the first altered or removed entry.

    Prints each chain's head hash: keep a copy elsewhere, since removing the newest
    entries leaves a shorter chain that is valid on its own.
    """
    broken = False
    for workspace_id, entries, head, problem in asyncio.run(_verify()):
        if problem is None:
            typer.echo(f"ok       workspace {workspace_id}: {entries} entries, head {head}")
        else:
            broken = True
            typer.echo(f"BROKEN   workspace {workspace_id}: {problem}", err=True)
    if broken:
        raise typer.Exit(1)
    typer.echo("audit log intact")
