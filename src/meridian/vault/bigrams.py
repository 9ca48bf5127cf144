"""Character bigrams: the search index for Chinese, Japanese and Korean message text.

Message search is a substring match (``LIKE '%needle%'``) served by a trigram index, but
a trigram index cannot serve a two-character needle, and two characters is a whole word
in these scripts (退还, 返金, 배송): such a search read every row (755 ms at 1M messages,
docs/performance.md). ``pg_bigm`` is not available in the embedded server, so the
database indexes each message's overlapping CJK character pairs itself: a GIN index on
``meridian_cjk_bigrams(text)``, partial to the rows that contain CJK text at all. A
needle's pairs must all be in a matching row, so ``bigrams @> needle's pairs`` narrows
the rows and the ``LIKE`` that follows keeps the answer exact.
"""

from __future__ import annotations

import re

# Hiragana, katakana, CJK ideographs (with extension A and compatibility), Hangul syllables;
# the same class in Python and in SQL below.
CJK_CLASS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
SQL_CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
_RUN = re.compile(CJK_CLASS + "{2,}")

# The index predicate, repeated verbatim in queries so the planner can use the index.
HAS_PAIR = f"text ~ '{SQL_CJK_CLASS}{{2}}'"

FUNCTION_DDL = f"""
CREATE OR REPLACE FUNCTION meridian_cjk_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(m[1], i, 2)), '{{}}')
  FROM regexp_matches(value, '{SQL_CJK_CLASS}{{2,}}', 'g') AS m,
       generate_series(1, length(m[1]) - 1) AS i
$$
"""
INDEX_NAME = "ix_vault_message_search_cjk_bigrams"
INDEX_DDL = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON vault_message_search "
    f"USING gin (meridian_cjk_bigrams(text)) WHERE {HAS_PAIR}"
)


def cjk_bigrams(value: str) -> list[str]:
    """The overlapping character pairs of ``value``'s CJK runs of two or more characters.

    A lone CJK character between other characters yields nothing: in a message it may sit
    inside a longer run, whose pairs are all the index holds."""
    return sorted({run[i : i + 2] for run in _RUN.findall(value) for i in range(len(run) - 1)})
