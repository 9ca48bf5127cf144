"""Search latency over the generated workspace (run generate first).

    python -m benchmarks.search [--data-dir DIR] [--repeat 50] [--chunks 10000] [--embed 1000]
    python -m benchmarks.search --kb-only [--data-dir DIR] ...

``--kb-only`` skips message search, so it needs no generated workspace: it makes an empty
one (in a fresh temporary data dir unless ``--data-dir`` is given) and measures part 2.

1. Message full text: ``GET /api/v1/conversations?q=`` as the API runs it
   (``conversations.service.list_conversations`` with ``q``, which asks
   ``vault.service.search_conversations``: substring search on the trigram-indexed
   (and, for CJK, bigram-indexed) NFKC-casefolded ``vault_message_search``), as an
   admin, for words in Latin, CJK and Arabic scripts, common and rare. Target p99
   under 300 ms.
2. Knowledge base: ``kb.search.search`` (full text + trigrams for CJK + pgvector HNSW,
   fused) over ``--chunks`` published chunks, each question new to the embedder's cache,
   so the time includes embedding the question in-process (multilingual-e5-small).
   The chunks are written directly (articles of ten passages in eight languages); the
   first ``--embed`` passages get their real e5 vectors, the others the vector of a
   passage of the same article plus small noise (embedding 10,000 passages on two busy
   cores takes longer than the whole benchmark; the HNSW search cost depends on the
   number and spread of vectors, not on who computed them). Target p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks._common import DEFAULT_DATA_DIR, latency, record, start_database, use_data_dir
from benchmarks.generate import TEXTS, bench_workspace
from benchmarks.inbox import principal_for
from sqlalchemy import func, select, text

MESSAGE_QUERIES = {
    "latin": ["refund", "sendungsverfolgung", "aplicación", "remboursement", "abonelik", "gallery"],
    "latin, rare (a reference)": ["#4321-3", "#777-1", "#12345-0", "#98-2"],
    "cjk": ["退还", "返金", "배송", "物流資訊", "アップロード", "閃退"],
    "arabic": ["استرداد", "التطبيق", "الطرد", "عنوان التوصيل"],
}
KB_WORKSPACE = "Search benchmark (knowledge base)"
KB_LOCALES = ["en", "es", "de", "fr", "pt-BR", "ja", "zh-Hans", "ar"]
TOPICS = {
    "en": ["refunds", "delivery times", "passwords", "invoices", "returns", "subscriptions"],
    "es": ["reembolsos", "plazos de entrega", "contraseñas", "facturas", "devoluciones"],
    "de": ["Erstattungen", "Lieferzeiten", "Passwörter", "Rechnungen", "Rücksendungen"],
    "fr": ["remboursements", "délais de livraison", "mots de passe", "factures", "retours"],
    "pt-BR": ["reembolsos", "prazos de entrega", "senhas", "faturas", "devoluções"],
    "ja": ["返金", "配送日数", "パスワード", "請求書", "返品"],
    "zh-Hans": ["退款", "配送时间", "密码", "发票", "退货"],
    "ar": ["استرداد الأموال", "مواعيد التوصيل", "كلمات المرور", "الفواتير", "المرتجعات"],
}
QUESTIONS = {
    "en": "how long does {} take for order {}",
    "es": "cuánto tardan los {} del pedido {}",
    "de": "wie lange dauern {} für Bestellung {}",
    "fr": "combien de temps pour les {} de la commande {}",
    "ja": "注文{1}の{0}はどのくらいかかりますか",
    "zh-Hans": "订单{1}的{0}需要多久",
    "ar": "كم تستغرق {} للطلب {}",
}


def _noisy(vector: list[float], rng: random.Random) -> list[float]:
    moved = [x + rng.gauss(0, 0.03) for x in vector]
    norm = math.sqrt(sum(x * x for x in moved)) or 1.0
    return [x / norm for x in moved]


async def fill_kb(db: Any, workspace_id: uuid.UUID, chunks: int, embed: int) -> int:
    from meridian.core.ids import new_id
    from meridian.kb.embed import get_embedder, vector_literal
    from meridian.kb.textsearch import config_for

    async with db.session() as session:
        have = int(
            await session.scalar(
                text("SELECT count(*) FROM kb_chunks WHERE workspace_id = :ws"), {"ws": workspace_id}
            )
            or 0
        )
        if have >= chunks:
            return have
        configs = {locale: await config_for(session, locale) for locale in KB_LOCALES}
    rng = random.Random(11)
    embedder = get_embedder()
    articles = []
    for n in range(chunks // 10):
        locale = KB_LOCALES[n % len(KB_LOCALES)]
        pool = TEXTS.get(locale) or TEXTS["en"]
        topic = rng.choice(TOPICS[locale])
        title = f"{topic} ({n})"
        passages = [f"{title}\n{' '.join(rng.sample(pool, 2))} {topic}" for _ in range(10)]
        articles.append((new_id(), locale, title, passages))
    real = [p for _, _, _, passages in articles for p in passages][:embed]
    started = time.perf_counter()
    vectors_real = await embedder.embed_passages(real) if embedder else []
    print(f"  embedded {len(vectors_real)} passages in {time.perf_counter() - started:.0f} s")
    k = 0
    async with db.session() as session:
        for article_id, locale, title, passages in articles:
            await session.execute(
                text(
                    "INSERT INTO kb_articles (id, workspace_id, slug, locale, title, body, body_html,"
                    " status, version, outdated, indexed_version, helpful_yes, helpful_no, published_at)"
                    " VALUES (:id, :ws, :slug, :locale, :title, :body, '', 'published', 1, false, 1, 0, 0,"
                    " now())"
                ),
                {
                    "id": article_id,
                    "ws": workspace_id,
                    "slug": f"a-{article_id}",
                    "locale": locale,
                    "title": title,
                    "body": "\n\n".join(passages),
                },
            )
            rows = []
            for position, passage in enumerate(passages):
                if k < len(vectors_real):
                    vector = vectors_real[k]
                else:
                    vector = _noisy(vectors_real[k % len(vectors_real)], rng) if vectors_real else None
                k += 1
                rows.append(
                    {
                        "id": new_id(),
                        "ws": workspace_id,
                        "article": article_id,
                        "position": position,
                        "locale": locale,
                        "config": configs[locale],
                        "tsconfig": configs[locale],
                        "text": passage,
                        "tstext": passage,
                        "embedder": embedder.name if embedder else None,
                        "embedding": vector_literal(vector) if vector else None,
                    }
                )
            await session.execute(
                text(
                    "INSERT INTO kb_chunks (id, workspace_id, article_id, position, locale, config, text,"
                    " tsv, embedder, embedding) VALUES (:id, :ws, :article, :position, :locale, :config,"
                    " :text, to_tsvector(CAST(:tsconfig AS regconfig), :tstext), :embedder,"
                    " CAST(:embedding AS vector))"
                ),
                rows,
            )
        await session.commit()
    # What autovacuum does to a knowledge base written over days: statistics, the
    # visibility map, hint bits. Without it the first minutes after this bulk load measure
    # autovacuum working through 10,000 new rows beside the searches (p50 75-83 ms, not 24).
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE kb_articles, kb_chunks"))
    return k


async def kb_workspace(url: str) -> uuid.UUID:
    """The KB-only run's workspace: an empty one, made once per data dir."""
    from meridian.db.engine import make_database
    from meridian.workspaces.models import Workspace
    from meridian.workspaces.service import create_workspace

    db = make_database(url, pool_size=1)
    try:
        async with db.session() as session:
            existing = await session.scalar(select(Workspace.id).where(Workspace.name == KB_WORKSPACE))
            if existing is not None:
                return existing
            workspace = await create_workspace(session, name=KB_WORKSPACE, languages=["en"])
            await session.commit()
            return workspace.id
    finally:
        await db.dispose()


async def measure(
    url: str, workspace_id: uuid.UUID, repeat: int, chunks: int, embed: int, *, kb_only: bool = False
) -> dict[str, Any]:
    from meridian.db.engine import make_database, set_database

    db = make_database(url, pool_size=2)
    set_database(db)
    figures: dict[str, Any] = {}
    if not kb_only:
        await _measure_messages(db, workspace_id, repeat, figures)
    await _measure_kb(db, workspace_id, repeat, chunks, embed, figures)
    await db.dispose()
    return figures


async def _measure_messages(db: Any, workspace_id: uuid.UUID, repeat: int, figures: dict[str, Any]) -> None:
    from meridian.conversations.service import ConversationFilter, list_conversations, to_out_many

    async with db.session() as session:
        admin = await principal_for(session, "bench-admin@bench.meridian.test")
        figures["messages_indexed"] = await session.scalar(
            text("SELECT count(*) FROM vault_message_search WHERE workspace_id = :ws"), {"ws": workspace_id}
        )
    print(f"\nmessage search over {figures['messages_indexed']:,} messages (p99 target < 300 ms)")
    print(f"{'script':<28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  hits (first page)")
    for script, words in MESSAGE_QUERIES.items():
        samples = []
        hits: dict[str, int] = {}
        for i in range(repeat):
            word = words[i % len(words)]
            t0 = time.perf_counter()
            async with db.session() as session:
                rows, _ = await list_conversations(
                    session, principal=admin, filters=ConversationFilter(q=word), limit=50, cursor=None
                )
                await to_out_many(session, rows)
            samples.append(time.perf_counter() - t0)
            hits[word] = len(rows)
        stats = latency(samples)
        figures[f"messages: {script}"] = {**stats, "hits": hits}
        print(f"{script:<28} {stats['p50_ms']:8.1f} {stats['p99_ms']:8.1f} {stats['max_ms']:8.1f}  {hits}")


async def _measure_kb(
    db: Any, workspace_id: uuid.UUID, repeat: int, chunks: int, embed: int, figures: dict[str, Any]
) -> None:
    from meridian.kb.embed import get_embedder
    from meridian.kb.search import search

    total = await fill_kb(db, workspace_id, chunks, embed)
    async with db.session() as session:
        published = await session.scalar(
            select(func.count()).select_from(text("kb_chunks")).where(text("workspace_id = :ws")),
            {"ws": workspace_id},
        )
    figures["kb_chunks"] = published or total
    # One untimed search first: loading the model (and the first plans) is a start-up
    # cost, which a filled data dir would otherwise charge to the first question.
    async with db.session() as session:
        await search(session, workspace_id=workspace_id, query="warm-up", locale="en")
    embedder = get_embedder()
    samples, vector_only, embedding = [], [], []
    langs = list(QUESTIONS)
    for i in range(max(repeat, 100)):
        lang = langs[i % len(langs)]
        topic = TOPICS[lang][i % len(TOPICS[lang])]
        question = QUESTIONS[lang].format(topic, 1000 + i)  # new to the query cache every time
        if embedder is not None:
            # The same kind of question, new to the cache: what embedding alone costs.
            t0 = time.perf_counter()
            await embedder.embed_queries([f"{question}?"])
            embedding.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        async with db.session() as session:
            hits_found = await search(session, workspace_id=workspace_id, query=question, locale=lang)
        samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        async with db.session() as session:
            await search(session, workspace_id=workspace_id, query=question, locale=lang)
        vector_only.append(time.perf_counter() - t0)
        assert hits_found, f"no knowledge-base hit for {question!r}"
    figures["kb: question new to the cache"] = latency(samples)
    figures["kb: same question again (embedding cached)"] = latency(vector_only)
    names = ["kb: question new to the cache", "kb: same question again (embedding cached)"]
    if embedding:
        figures["kb: embedding a new question alone"] = latency(embedding)
        names.append("kb: embedding a new question alone")
    print(f"\nknowledge-base search over {figures['kb_chunks']:,} chunks (p99 target < 100 ms)")
    for name in names:
        stats = figures[name]
        print(
            f"{name:<44} p50 {stats['p50_ms']:7.1f}  p99 {stats['p99_ms']:7.1f}  max {stats['max_ms']:7.1f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--kb-only", action="store_true", help="knowledge base only, in a workspace of its own (no generate)"
    )
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--embed", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.kb_only:
        # None: a fresh temporary directory, so the lead's generated data stays untouched.
        url = start_database(use_data_dir(args.data_dir))
        workspace_id: uuid.UUID | None = asyncio.run(kb_workspace(url))
    else:
        url = start_database(use_data_dir(args.data_dir or DEFAULT_DATA_DIR))
        workspace_id = bench_workspace(url)
    if workspace_id is None:
        raise SystemExit("no generated workspace here: run `python -m benchmarks.generate` first")
    figures = asyncio.run(
        measure(url, workspace_id, args.repeat, args.chunks, args.embed, kb_only=args.kb_only)
    )
    record("search-kb" if args.kb_only else "search", figures)


if __name__ == "__main__":
    main()
