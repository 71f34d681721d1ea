"""What a feature hands to the composition root (bot/features.py), as plain values.

    SESSIONS = Feature(
        name="sessions",
        commands={grammar.Join: session_commands.join, ...},           # /jirei join S1
        actions={ids.SESSION_JOIN: session_actions.join_button, ...},  # a button's action_id
        views={ids.SESSION_NEW_VIEW: session_views.submit_session},    # a modal's callback_id
        renderers={DeliveryKind.SESSION_CONFIRMED: session_messages.render_confirmed, ...},
        jobs=(Job("session_decisions", jobs.decide_due_sessions, every=MINUTE), ...),
    )

Each listener is a module-level function in handlers/ taking what Bolt passes by name (ack, body,
context, …); it reads the Deps with `deps_of(context)`. `wire(features)` merges the features into one
`Wiring`, the route table: it refuses two handlers for one slash command, /jirei command, action id,
view or delivery kind, and two jobs of one name. bot/app.py registers the table's listeners with
Bolt's own `app.command`, `app.action`, `app.view` and `app.event`; bot/runtime.py runs the jobs and
hands the renderers to the dispatcher. The bot's delivery kinds are the members of `DeliveryKind`
(bot/delivery/kinds.py); the dispatcher takes any string, so tests may wire kinds of their own.
Nothing registers itself on import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from itertools import chain
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, Mapping, Sequence, TypeVar

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.delivery.renderers import Renderer
    from bot.deps import Deps
    from storage.uow import UnitOfWork

# A Bolt listener: Bolt passes the arguments it names (ack, body, context, respond, client, event, …).
Listener = Callable[..., Awaitable[Any]]
# The handler of one /jirei command: (the parsed command, handlers.commands.request.CommandRequest).
CommandHandler = Callable[[Any, Any], Awaitable[None]]
# A Bolt matcher narrowing an event (a DM, a private channel): True when the listener takes it.
Matcher = Callable[..., Awaitable[bool]]
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
class Event:
    """An Events API event (`app_home_opened`, `message`) and its listener, narrowed by matchers."""

    type: str
    listener: Listener
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True)
class Feature:
    """Everything one feature does: what Slack sends it, what it delivers, what it runs on a clock."""

    name: str
    slash_commands: Mapping[str, Listener] = field(default_factory=dict)  # "/jirei" → its listener
    commands: Mapping[type, CommandHandler] = field(default_factory=dict)  # grammar class → handler
    actions: Mapping[str | re.Pattern[str], Listener] = field(default_factory=dict)  # action_id → listener
    views: Mapping[str, Listener] = field(default_factory=dict)  # a modal's callback_id → its submission
    events: tuple[Event, ...] = ()
    renderers: Mapping[str, "Renderer"] = field(default_factory=dict)  # delivery kind → renderer
    jobs: tuple[Job, ...] = ()
    next_due: tuple[NextDue, ...] = ()
    dm_handlers: tuple[DmHandler, ...] = ()


@dataclass(frozen=True)
class Wiring:
    """The features merged: the route table bot/app.py and bot/runtime.py read."""

    slash_commands: Mapping[str, Listener] = field(default_factory=dict)
    commands: Mapping[type, CommandHandler] = field(default_factory=dict)
    actions: Mapping[str | re.Pattern[str], Listener] = field(default_factory=dict)
    views: Mapping[str, Listener] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    renderers: Mapping[str, "Renderer"] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    next_due: tuple[NextDue, ...] = ()
    dm_handlers: tuple[DmHandler, ...] = ()


def wire(features: Sequence[Feature]) -> Wiring:
    def merged(table: str) -> Mapping:
        return _merge(((feature.name, getattr(feature, table).items()) for feature in features), table)

    jobs = _merge(((feature.name, ((job.name, job) for job in feature.jobs)) for feature in features), "jobs")
    return Wiring(
        slash_commands=merged("slash_commands"),
        commands=merged("commands"),
        actions=merged("actions"),
        views=merged("views"),
        events=tuple(chain.from_iterable(feature.events for feature in features)),
        renderers=merged("renderers"),
        jobs=tuple(jobs.values()),
        next_due=tuple(chain.from_iterable(feature.next_due for feature in features)),
        dm_handlers=tuple(chain.from_iterable(feature.dm_handlers for feature in features)),
    )


K = TypeVar("K")


def _merge(tables: Iterable[tuple[str, Iterable[tuple[K, Any]]]], what: str) -> Mapping[K, Any]:
    """One table from the features' own; a key two features (or one, twice) claim is refused."""
    merged: dict[K, Any] = {}
    for name, table in tables:
        for key, value in table:
            if key in merged:
                raise ValueError(f"{what}: {key!r} is handed over twice ({name})")
            merged[key] = value
    return MappingProxyType(merged)
