"""Process settings for serving Slack: acks must not wait behind the garbage collector.

A full collection walks every object the process holds (SQLAlchemy's compiled caches, the
catalogs, Bolt, the SDK…) and stops the event loop while it does; measured with
`bench/bench_ack.py`, it was most of the ack latency tail (p99 214 ms → 43 ms). So once the
process is built, what exists is frozen out of collection.

Young garbage is collected at Python's usual threshold: once SQLite ran in the loop's thread and
answers took turns, bigger and rarer young collections became the longest pauses left. Three runs
each of bench_ack gave an ack p99 of 1.02–1.18× the bare app at 700, 1.10–1.30× at 5,000 and
1.41–1.54× at 50,000.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 700


def tune_gc_for_latency() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)
