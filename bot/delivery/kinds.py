"""`load_all()` imports every feature module that registers renderers or periodic jobs.

The dispatcher needs every renderer, the runtime every job; the app calls this once.
"""

from importlib import import_module

RENDERER_MODULES = (
    "bot.services.session_messages",
    "bot.services.reminders",
    "bot.services.materials",
    "bot.services.surveys",
    "bot.services.study_groups",
    "bot.services.progress",
    "bot.services.jobs",
)


def load_all() -> None:
    for name in RENDERER_MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
