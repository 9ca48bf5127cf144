"""``meridian bot ...``: the bot's command-line tools."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

bot_app = typer.Typer(help="The first-contact bot.", no_args_is_help=True)


async def _evaluate(file: Path, workspace: str | None, threshold: float | None) -> dict[str, object]:
    from meridian.bot.evaluation import evaluate, load_items, summarize
    from meridian.bot.settings import load_config
    from meridian.config import get_settings
    from meridian.db.engine import make_database, resolve_database_url, set_database
    from meridian.db.migrate import upgrade_async
    from meridian.kb.index import reindex_stale

    items = load_items(file)
    url = resolve_database_url(get_settings())
    await upgrade_async(url)
    db = make_database(url, pool_size=2)
    set_database(db)
    try:
        if workspace:
            workspace_id = uuid.UUID(workspace)
        else:
            from meridian.demo.seed import seed_demo
            from meridian.kb.demo import seed_demo_kb

            workspace_id = uuid.UUID((await seed_demo(db)).workspace_id)
            await seed_demo_kb(db, workspace_id)
        # Evaluate against an index that is up to date, whatever the workers did so far.
        await reindex_stale(db, workspace_id=workspace_id)
        if threshold is None:
            async with db.session() as session:
                threshold = (await load_config(session, workspace_id=workspace_id)).threshold
        results = await evaluate(db, workspace_id=workspace_id, items=items, threshold=threshold)
    finally:
        await db.dispose()
    summary = summarize(results)
    return {
        "threshold": threshold,
        "summary": asdict(summary),
        "errors": [
            {
                "question": r.item.question,
                "language": r.item.language,
                "expected": r.item.expected,
                "predicted": r.predicted,
                "confidence": r.confidence,
                "reason": r.reason,
            }
            for r in results
            if not r.correct
        ],
    }


@bot_app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Labelled questions (JSONL).")],
    workspace: Annotated[str | None, typer.Option(help="Workspace id (default: the demo workspace).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Confidence threshold to test.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, with every miss.")] = False,
) -> None:
    """Run a labelled question set through the bot; print accuracy, wrong answers, handoffs."""
    from meridian.bot.evaluation import Summary, format_summary

    try:
        report = asyncio.run(_evaluate(file, workspace, threshold))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"threshold          {report['threshold']}")
    typer.echo(format_summary(Summary(**report["summary"])))  # type: ignore[arg-type]
