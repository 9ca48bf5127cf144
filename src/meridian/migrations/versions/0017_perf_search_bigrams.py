"""CJK character bigrams for message search (docs/performance.md, vault/bigrams.py).

A trigram index cannot serve ``LIKE '%退还%'``: a two-character needle has no trigram, so
such a search read every row of ``vault_message_search`` (755 ms at 1M messages). This
indexes each message's overlapping CJK character pairs with GIN, only for rows that hold
CJK text. The function and index are written out here, not imported, so the revision
stays what it was when the app's copy (``vault/bigrams.py``) changes.

The build reads the whole table once (1.1 s for 100k messages on a busy 2-core machine,
so about two minutes for 10M) and holds off writes to the search table meanwhile; the
index is small (832 kB for 100k messages, beside 24 MB for the trigram index).

Revision ID: 0017_perf_search_bigrams
Revises: 0016_kb_assets_titles
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017_perf_search_bigrams"
down_revision: str | Sequence[str] | None = "0016_kb_assets_titles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION meridian_cjk_bigrams(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
          SELECT coalesce(array_agg(DISTINCT substr(m[1], i, 2)), '{{}}')
          FROM regexp_matches(value, '{CJK}{{2,}}', 'g') AS m,
               generate_series(1, length(m[1]) - 1) AS i
        $$
        """
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_vault_message_search_cjk_bigrams ON vault_message_search "
        f"USING gin (meridian_cjk_bigrams(text)) WHERE text ~ '{CJK}{{2}}'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_vault_message_search_cjk_bigrams")
    op.execute("DROP FUNCTION IF EXISTS meridian_cjk_bigrams(text)")
