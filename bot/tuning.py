"""Process settings for serving Slack: acks must not wait behind the garbage collector.

A full collection walks every object the process holds (SQLAlchemy's compiled caches, the
catalogs, Bolt, the SDK…) and stops the event loop while it does; measured with
`bench/bench_ack.py`, it was most of the ack latency tail (p99 214 ms → 43 ms). So once the
process is built, what exists is frozen out of collection, and young garbage is collected less
often, in bigger and cheaper batches.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune_gc_for_latency() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)
