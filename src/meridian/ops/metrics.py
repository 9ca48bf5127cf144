"""Prometheus metrics. Counters are per process; queue depth is read from the database."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "meridian_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "meridian_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
INBOUND = Counter(
    "meridian_inbound_messages_total", "Inbound messages", ["channel", "outcome"], registry=REGISTRY
)
DELIVERIES = Counter(
    "meridian_deliveries_total",
    "Outbound delivery attempts by outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge("meridian_outbox_pending", "Deliveries waiting to be sent", registry=REGISTRY)
OUTBOX_AGE = Gauge("meridian_outbox_oldest_seconds", "Age of the oldest waiting delivery", registry=REGISTRY)
JOBS_DEPTH = Gauge("meridian_jobs_queued", "Background jobs waiting", ["queue"], registry=REGISTRY)
JOBS_AGE = Gauge("meridian_jobs_oldest_seconds", "Age of the oldest waiting job", registry=REGISTRY)
SSE_CLIENTS = Gauge("meridian_sse_clients", "Connected event-stream clients", registry=REGISTRY)
