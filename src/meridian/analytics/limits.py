"""A reader's custom-role limits, forced onto every report they ask for.

A role limited to some teams or inboxes (roles/) sees conversations of those only, and
so only their figures: the limits become filters the query string cannot lift
(``Filters.within_team_ids`` / ``within_inbox_ids``), added where a request's report
query is built, API and console alike.
"""

from __future__ import annotations

from dataclasses import replace

from meridian.analytics.sources import ReportQuery
from meridian.auth.service import Principal


def for_reader(q: ReportQuery, principal: Principal) -> ReportQuery:
    if not principal.limited:
        return q
    filters = replace(
        q.filters,
        within_team_ids=principal.limit_team_ids,
        within_inbox_ids=principal.limit_inbox_ids,
    )
    return replace(q, filters=filters)
