"""The evaluation: metrics from a labelled set, and the CLI's output."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from meridian.bot.evaluation import EvalItem, evaluate, format_summary, load_items, summarize
from meridian.db.engine import Database
from tests.factories import Factory
from tests.kb.support import build_kb


async def test_metrics_on_a_small_set(
    client: httpx.AsyncClient, factory: Factory, db: Database, tmp_path: Path
) -> None:
    tenant = await factory.tenant()
    await build_kb(client, db, tenant)
    path = tmp_path / "set.jsonl"
    rows = [
        {"question": "How do I reset my password?", "language": "en", "expected": "reset-password"},
        {"question": "返品したいのですが", "language": "ja", "expected": "return-policy"},
        {"question": "I want to talk to a human", "language": "en", "expected": "handoff"},
        # Labelled with the wrong article on purpose: it must count as a wrong answer.
        {"question": "What payment methods do you accept?", "language": "en", "expected": "shipping-times"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    items = load_items(path)
    assert items[1] == EvalItem("返品したいのですが", "ja", "return-policy")
    results = await evaluate(db, workspace_id=tenant.workspace_id, items=items, threshold=0.8)
    assert [r.predicted for r in results] == [
        "reset-password",
        "return-policy",
        "handoff",
        "payment-methods",
    ]
    summary = summarize(results)
    assert summary.questions == 4 and summary.languages == 2
    assert summary.answer_accuracy == round(2 / 3, 4)
    assert (
        summary.wrong_answer_rate == 0.25 and summary.handoff_rate == 0.25 and summary.handoff_recall == 1.0
    )
    assert "answer accuracy    66.7%" in format_summary(summary)


def test_bad_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "x"}\n', encoding="utf-8")
    try:
        load_items(path)
    except ValueError as exc:
        assert "bad.jsonl:1" in str(exc)
    else:
        raise AssertionError("a line without labels was accepted")
