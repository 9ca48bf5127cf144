"""Message search as a SECURITY DEFINER function (``meridian_search_messages``).

``vault_message_search`` has the row-level security policy of every workspace table
(migration 0022), but its ``LIKE`` and bigram operators are not LEAKPROOF: under a
policy PostgreSQL will not use them as index conditions, and a search reads the whole
workspace. The function runs as the table's owner, whom the (unforced) policy does not
bind, and applies the same wall itself: a session bound to one workspace
(``meridian.workspace_id``, auth/tenancy.py) gets nothing for another one.

Migration 0022 wrote its own copy for the home database; this one is what
``create_vault_schema`` installs in regional databases at every start, so one query
serves both. Keep the two in step when the search changes (a new revision for home).
"""

from __future__ import annotations

from meridian.vault.bigrams import SQL_CJK_CLASS

SIGNATURE = "meridian_search_messages(uuid, text, text[], text[], integer)"

# EXECUTE ... USING plans each call with its values (a custom plan: the LIKE pattern's
# selectivity and the bigram index's predicate are seen), as a direct query would be.
FUNCTION_DDL = f"""
CREATE OR REPLACE FUNCTION meridian_search_messages(
    p_workspace uuid, p_pattern text, p_grams text[], p_regions text[], p_limit integer
) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    bound uuid := nullif(nullif(current_setting('meridian.workspace_id', true), ''), '*')::uuid;
BEGIN
    IF bound IS NOT NULL AND bound IS DISTINCT FROM p_workspace THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT DISTINCT m.conversation_id FROM (SELECT conversation_id FROM vault_message_search '
        'WHERE workspace_id = $1 AND text LIKE $2'
        || CASE WHEN p_grams IS NULL THEN '' ELSE
               format(' AND text ~ %L AND meridian_cjk_bigrams(text) @> $3', '{SQL_CJK_CLASS}{{2}}') END
        || CASE WHEN p_regions IS NULL THEN '' ELSE ' AND region = ANY ($4)' END
        || ' LIMIT $5 * 5) AS m LIMIT $5'
    USING p_workspace, p_pattern, p_grams, p_regions, p_limit;
END $fn$
"""
# A role that was never given the table must not search it with the owner's rights.
REVOKE_DDL = f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC"

# ``grams``: the needle's CJK pairs or NULL; ``regions``: the regions to search or NULL
# for all. A common word matches a large share of all messages; grouping every match took
# most of a second at 1M messages (docs/performance.md), so the function stops after the
# first few matching rows per wanted conversation (``limit * 5``).
SEARCH = (
    "SELECT * FROM meridian_search_messages("
    "CAST(:workspace_id AS uuid), CAST(:pattern AS text), CAST(:grams AS text[]), "
    "CAST(:regions AS text[]), CAST(:limit AS integer))"
)
