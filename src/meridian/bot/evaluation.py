"""Measuring the bot on a labelled question set (``meridian bot eval FILE``).

Each JSONL line is ``{"question", "language", "expected"}`` where ``expected`` is an
article slug or ``"handoff"``. The bot's decision is exactly the live one (signals,
then retrieval and threshold), without writing anything. Reported:

- answer accuracy: of the questions that have an article, the share answered with it;
- wrong-answer rate: of all questions, the share answered with the wrong article (or
  answered at all when a person was expected);
- handoff rate: of all questions, the share handed to a person.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from meridian.bot.answer import decide
from meridian.bot.signals import classify
from meridian.db.engine import Database
from meridian.kb.models import KbArticle

HANDOFF = "handoff"


@dataclass(frozen=True)
class EvalItem:
    question: str
    language: str
    expected: str


@dataclass(frozen=True)
class EvalResult:
    item: EvalItem
    predicted: str
    confidence: float
    reason: str
    seconds: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.item.expected


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(EvalItem(str(data["question"]), str(data["language"]), str(data["expected"])))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled question ({exc})") from exc
    return items


async def _family_slugs(db: Database, workspace_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every article's family slug (the master's), so a variant counts as its master."""
    async with db.session() as session:
        rows = list(
            await session.execute(
                select(KbArticle.id, KbArticle.master_id, KbArticle.slug).where(
                    KbArticle.workspace_id == workspace_id
                )
            )
        )
    slugs = {row.id: row.slug for row in rows}
    return {row.id: slugs.get(row.master_id, row.slug) if row.master_id else row.slug for row in rows}


async def evaluate(
    db: Database, *, workspace_id: uuid.UUID, items: list[EvalItem], threshold: float
) -> list[EvalResult]:
    families = await _family_slugs(db, workspace_id)
    results = []
    for item in items:
        started = time.perf_counter()
        signals = classify(item.question)
        if signals.angry or signals.wants_human:
            predicted, confidence, reason = HANDOFF, 0.0, "angry" if signals.angry else "asked_for_person"
        else:
            async with db.session() as session:
                decision = await decide(
                    session,
                    workspace_id=workspace_id,
                    question=item.question,
                    language=item.language,
                    threshold=threshold,
                )
            reason, confidence = decision.reason, decision.confidence
            predicted = (
                families.get(decision.hit.article_id, "?")
                if decision.action == "answer" and decision.hit is not None
                else HANDOFF
            )
        results.append(EvalResult(item, predicted, confidence, reason, time.perf_counter() - started))
    return results


@dataclass(frozen=True)
class Summary:
    questions: int
    languages: int
    answer_accuracy: float
    wrong_answer_rate: float
    handoff_rate: float
    handoff_recall: float
    accuracy_by_language: dict[str, float]
    latency_p50_ms: float
    latency_p95_ms: float


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarize(results: list[EvalResult]) -> Summary:
    answerable = [r for r in results if r.item.expected != HANDOFF]
    expected_handoff = [r for r in results if r.item.expected == HANDOFF]
    by_language: dict[str, list[EvalResult]] = defaultdict(list)
    for r in answerable:
        by_language[r.item.language].append(r)
    latencies = sorted(r.seconds for r in results) or [0.0]
    return Summary(
        questions=len(results),
        languages=len({r.item.language for r in results}),
        answer_accuracy=_share(sum(r.correct for r in answerable), len(answerable)),
        wrong_answer_rate=_share(
            sum(r.predicted != HANDOFF and not r.correct for r in results), len(results)
        ),
        handoff_rate=_share(sum(r.predicted == HANDOFF for r in results), len(results)),
        handoff_recall=_share(sum(r.predicted == HANDOFF for r in expected_handoff), len(expected_handoff)),
        accuracy_by_language={
            lang: _share(sum(r.correct for r in rs), len(rs)) for lang, rs in sorted(by_language.items())
        },
        latency_p50_ms=round(1000 * latencies[len(latencies) // 2], 1),
        latency_p95_ms=round(1000 * latencies[max(0, int(len(latencies) * 0.95) - 1)], 1),
    )


def format_summary(s: Summary) -> str:
    lines = [
        f"questions          {s.questions} in {s.languages} languages",
        f"answer accuracy    {s.answer_accuracy:.1%}  (questions with an article, answered with it)",
        f"wrong-answer rate  {s.wrong_answer_rate:.1%}  (all questions, answered with a wrong article)",
        f"handoff rate       {s.handoff_rate:.1%}  (all questions, handed to a person)",
        f"handoff recall     {s.handoff_recall:.1%}  (questions meant for a person that reached one)",
        f"latency            p50 {s.latency_p50_ms} ms, p95 {s.latency_p95_ms} ms per question",
        "accuracy by language:",
        *(f"  {lang:<8} {value:.1%}" for lang, value in s.accuracy_by_language.items()),
    ]
    return "\n".join(lines)
