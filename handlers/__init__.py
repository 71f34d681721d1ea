"""Thin Slack adapters by surface. `register_all` wires every feature into the app."""

from __future__ import annotations

from importlib import import_module

SURFACES = ("actions", "views", "events")
FEATURES = ("people", "sessions", "materials", "surveys", "groups", "review", "privacy", "checks")


def register_all(app, deps) -> None:
    from handlers.commands import jirei

    jirei.register(app, deps)
    for surface in SURFACES:
        for feature in FEATURES:
            try:
                module = import_module(f"handlers.{surface}.{feature}")
            except ModuleNotFoundError as exc:
                if exc.name != f"handlers.{surface}.{feature}":
                    raise
                continue
            module.register(app, deps)
