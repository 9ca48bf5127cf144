"""Fault drills: ``make drills`` (``pytest -m drill tests/drills``).

``--drill-scale 0.1`` (or ``MERIDIAN_DRILL_SCALE=0.1``) shrinks the traffic for
development; each drill's findings are printed at the end of the run."""

from __future__ import annotations

import os

import pytest

from tests.drills.support import REPORT


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--drill-scale",
        type=float,
        default=None,
        help="multiply every drill's traffic by this factor (default 1, or MERIDIAN_DRILL_SCALE)",
    )


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--drill-scale", default=None)
    if value is not None:
        os.environ["MERIDIAN_DRILL_SCALE"] = str(value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A run whose -m replaced the default "not drill" (say -m "not browser") must not
    # start minutes of drills by surprise: only an expression naming them does.
    if "drill" in (config.option.markexpr or "").replace("not drill", ""):
        return
    skip = pytest.mark.skip(reason="fault drill: run with `make drills`")
    for item in items:
        if item.get_closest_marker("drill"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT.lines:
        terminalreporter.section("what the fault drills proved")
        for line in REPORT.lines:
            terminalreporter.write_line(line)
