"""Health, readiness and metrics for operators and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from meridian.db.engine import get_database
from meridian.ops import metrics

router = APIRouter(tags=["operations"])

WORKER_STALE_SECONDS = 60


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(response: Response) -> dict[str, object]:
    from meridian.db.migrate import current_revision, head_revision

    checks: dict[str, object] = {}
    db = get_database()
    try:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
            revision = await current_revision(session)
            checks["migrations"] = (
                "ok" if revision == head_revision() else f"at {revision}, head {head_revision()}"
            )
            workers = await session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - make_interval(secs => :s)"
                ),
                {"s": WORKER_STALE_SECONDS},
            )
            checks["workers"] = "ok" if workers else "no worker heartbeat in the last minute"
    except Exception as exc:
        checks.setdefault("database", f"unreachable: {type(exc).__name__}")
    ready = all(v == "ok" for v in checks.values()) and len(checks) == 3
    response.status_code = 200 if ready else 503
    return {"status": "ready" if ready else "not ready", "checks": checks}


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    from meridian.deliveries.relay import pending_count

    db = get_database()
    try:
        depth, age = await pending_count(db)
        metrics.OUTBOX_DEPTH.set(depth)
        metrics.OUTBOX_AGE.set(age)
        async with db.session() as session:
            rows = await session.execute(
                text(
                    "SELECT queue_name, count(*), coalesce(extract(epoch FROM now() - min(scheduled_at)), 0) "
                    "FROM procrastinate_jobs WHERE status = 'todo' GROUP BY queue_name"
                )
            )
            oldest = 0.0
            for queue, count, age_s in rows:
                metrics.JOBS_DEPTH.labels(queue=queue).set(count)
                oldest = max(oldest, float(age_s or 0))
            metrics.JOBS_AGE.set(oldest)
    except Exception:  # noqa: S110 - metrics must answer even while the database is down
        pass
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
