"""What a feature hands to the composition root (bot/features.py), as plain values.

    SESSIONS = Feature(
        name="sessions",
        listeners=(actions.sessions.register, views.sessions.register),
        renderers={DeliveryKind.SESSION_CONFIRMED: session_messages.render_confirmed, ...},
        jobs=(Job("session_decisions", jobs.decide_due_sessions), ...),
    )

`wire(features)` merges them into one `Wiring` and refuses two renderers for one delivery kind or
two jobs of one name. The bot's delivery kinds are the members of `DeliveryKind`
(bot/delivery/kinds.py); the dispatcher takes any string, so tests may wire kinds of their own. Nothing registers itself on import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.delivery.renderers import Renderer
    from bot.deps import Deps
    from storage.uow import UnitOfWork

Listener = Callable[[Any, "Deps"], None]  # register(app, deps): adds the feature's Bolt listeners
JobRun = Callable[["Deps"], Awaitable[Any]]
# The next moment something scheduled happens in a feature (console and tests jump the clock to it).
NextDue = Callable[["UnitOfWork", datetime], Awaitable[datetime | None]]
# A direct message a feature may answer (the survey dialog); True when it did.
DmHandler = Callable[..., Awaitable[bool]]


@dataclass(frozen=True)
class Job:
    """Periodic work: idempotent, cheap when there is nothing to do, safe to run in several processes.

    Its cadence is APScheduler's: `every` (an interval) or `cron` (a crontab line in JIREI_TIMEZONE).
    """

    name: str
    run: JobRun
    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"job {self.name!r} needs exactly one of every= and cron=")

    def trigger(self, tz: tzinfo) -> BaseTrigger:
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=tz)
        return CronTrigger.from_crontab(self.cron, timezone=tz)


@dataclass(frozen=True)
class Feature:
    name: str
    listeners: tuple[Listener, ...] = ()
    renderers: Mapping[str, "Renderer"] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    next_due: tuple[NextDue, ...] = ()
    dm_handlers: tuple[DmHandler, ...] = ()


@dataclass(frozen=True)
class Wiring:
    listeners: tuple[Listener, ...] = ()
    renderers: Mapping[str, "Renderer"] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    next_due: tuple[NextDue, ...] = ()
    dm_handlers: tuple[DmHandler, ...] = ()


def wire(features: Sequence[Feature]) -> Wiring:
    renderers: dict[str, Renderer] = {}
    jobs: dict[str, Job] = {}
    for feature in features:
        for kind, render in feature.renderers.items():
            if kind in renderers:
                raise ValueError(f"two renderers for delivery kind {kind!r} ({feature.name})")
            renderers[kind] = render
        for job in feature.jobs:
            if job.name in jobs:
                raise ValueError(f"two periodic jobs named {job.name!r} ({feature.name})")
            jobs[job.name] = job
    return Wiring(
        listeners=tuple(listener for feature in features for listener in feature.listeners),
        renderers=MappingProxyType(renderers),
        jobs=tuple(jobs.values()),
        next_due=tuple(provider for feature in features for provider in feature.next_due),
        dm_handlers=tuple(handler for feature in features for handler in feature.dm_handlers),
    )
