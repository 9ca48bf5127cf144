"""Finding each feature's conventional modules (``models``, ``tasks``, ``subscribers``)
by folder name, so adding a feature never means editing a central list."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache

import meridian


@cache
def feature_modules(name: str) -> tuple[str, ...]:
    """Dotted names of every ``meridian.<feature>.<name>`` (and ``meridian.channels.<kind>.<name>``)."""
    found: list[str] = []

    def scan(package: str, paths: list[str]) -> None:
        for info in pkgutil.iter_modules(paths):
            if not info.ispkg:
                continue
            dotted = f"{package}.{info.name}"
            spec = importlib.util.find_spec(f"{dotted}.{name}")
            if spec is not None and dotted != "meridian.db":
                found.append(f"{dotted}.{name}")
            if dotted == "meridian.channels":
                scan(dotted, [p + "/channels" for p in paths])

    scan("meridian", list(meridian.__path__))
    return tuple(sorted(found))


def import_all(name: str) -> None:
    for module in feature_modules(name):
        importlib.import_module(module)
