"""Prometheus metrics (prometheus-client), on the bot's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter("jirei_commands_total", "Slash commands handled", ["command", "outcome"], registry=REGISTRY)
COMMAND_LATENCY = Histogram("jirei_command_seconds", "Time from request to ack", ["command"], registry=REGISTRY,
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5))
DELIVERIES = Counter("jirei_deliveries_total", "Delivery attempts by outcome", ["kind", "outcome"], registry=REGISTRY)
DELIVERIES_PENDING = Gauge("jirei_deliveries_pending", "Deliveries due or waiting", registry=REGISTRY)
DISPATCH_LAG = Gauge("jirei_dispatcher_lag_seconds", "Age of the oldest due, unsent delivery", registry=REGISTRY)
REQUESTS_REFUSED = Counter("jirei_requests_refused_total", "Requests refused before any listener saw them",
                           ["reason", "status"], registry=REGISTRY)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
