"""``meridian analytics``: recomputing reports from the report event log."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

analytics_app = typer.Typer(help="Reports and dashboards.", no_args_is_help=True)


async def _rebuild(url: str, workspace: uuid.UUID | None, replay: bool, rollups_only: bool) -> list[str]:
    from meridian.analytics.rebuild import (
        conversation_count,
        fact_count,
        rebuild_rollups,
        rebuild_workspace,
        workspace_ids,
    )
    from meridian.db.engine import make_database

    db = make_database(url, pool_size=2)
    lines: list[str] = []
    try:
        targets = [workspace] if workspace else await workspace_ids(db, with_facts=rollups_only)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns) as bar:
            for workspace_id in targets:
                async with db.session() as session:
                    count = fact_count if rollups_only else conversation_count
                    total = await count(session, workspace_id)
                task = bar.add_task(f"workspace {workspace_id}", total=total or None)

                def advance(done: int, task: TaskID = task) -> None:
                    bar.advance(task, done)

                if rollups_only:
                    result = await rebuild_rollups(db, workspace_id, progress=advance)
                else:
                    result = await rebuild_workspace(db, workspace_id, replay=replay, progress=advance)
                bar.update(task, total=result.conversations, completed=result.conversations)
                if rollups_only:
                    lines.append(
                        f"{workspace_id}: rollups of {result.conversations} conversations recomputed "
                        f"from their facts, {result.rollup_rows} rollup rows"
                    )
                    continue
                lines.append(
                    f"{workspace_id}: {result.conversations} conversations from "
                    f"{result.report_events} report events, {result.rollup_rows} rollup rows"
                    + (f", {result.replayed} report events replayed" if replay else "")
                )
    finally:
        await db.dispose()
    return lines


@analytics_app.command("rebuild")
def rebuild(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace id (default: all).")] = None,
    replay: Annotated[
        bool,
        typer.Option("--replay", help="First derive report events from stored domain events (history)."),
    ] = False,
    rollups_only: Annotated[
        bool,
        typer.Option(
            "--rollups-only",
            help="Keep the facts and recompute only the rollups from them (faster; "
            "also for facts loaded without report events).",
        ),
    ] = False,
) -> None:
    """Recompute every conversation fact and rollup from the report event log."""
    from meridian.cli import _database_url, _migrate, _setup_logging

    _setup_logging()
    target = None
    if replay and rollups_only:
        typer.echo("error: --replay rebuilds the facts; it cannot go with --rollups-only", err=True)
        raise typer.Exit(2)
    if workspace:
        try:
            target = uuid.UUID(workspace)
        except ValueError:
            typer.echo("error: --workspace must be a workspace id", err=True)
            raise typer.Exit(2) from None
    url = _database_url()
    asyncio.run(_migrate(url))
    for line in asyncio.run(_rebuild(url, target, replay, rollups_only)):
        typer.echo(line)
