"""Reports as files a spreadsheet opens: CSV and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from meridian.analytics.schemas import DrillItem, Measures, PointOut

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def overview_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    names = list(Measures.model_fields)
    header = ["key", "label", *names]
    rows = [[group["key"], group["label"], *(group[n] for n in names)] for group in report["groups"]]
    rows.append(["(total)", "", *(report["totals"][n] for n in names)])
    return header, rows


def timeseries_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = list(PointOut.model_fields)
    return header, [[point[n] for n in header] for point in report["points"]]


def heatmap_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["weekday", *(f"{hour:02d}:00" for hour in range(24))]
    return header, [[WEEKDAY_NAMES[day], *counts] for day, counts in enumerate(report["matrix"])]


def conversations_table(items: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    header = list(DrillItem.model_fields)
    rows = []
    for item in items:
        row = []
        for name in header:
            value = item.get(name)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif value is not None and not isinstance(value, int | float | str):
                value = value.isoformat() if hasattr(value, "isoformat") else str(value)
            row.append(value)
        rows.append(row)
    return header, rows


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    # The byte order mark is how Excel knows the file is UTF-8 (team and agent names).
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(fmt: str, title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    return to_xlsx(title, header, rows) if fmt == "xlsx" else to_csv(header, rows)
