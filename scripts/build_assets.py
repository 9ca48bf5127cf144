"""Copy the console's front-end libraries from node_modules into the package.

``npm ci`` installs exactly what package-lock.json pins; this script then copies the
few distribution files the console serves into ``src/meridian/console/static/vendor``
(git-ignored), so no third-party code is committed and the wheel still carries it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "meridian" / "console" / "static" / "vendor"

# (file inside node_modules, name served under /static/vendor/)
FILES: list[tuple[str, str]] = [
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    ("htmx.org/LICENSE", "htmx.LICENSE.txt"),
    ("htmx-ext-sse/dist/sse.min.js", "htmx-ext-sse.min.js"),
    ("htmx-ext-sse/LICENSE", "htmx-ext-sse.LICENSE.txt"),
]


def main() -> int:
    missing = [src for src, _ in FILES if not (NODE_MODULES / src).is_file()]
    if missing:
        print(f"missing in node_modules (run `npm ci` first): {', '.join(missing)}", file=sys.stderr)
        return 1
    VENDOR.mkdir(parents=True, exist_ok=True)
    for src, dest in FILES:
        shutil.copyfile(NODE_MODULES / src, VENDOR / dest)
        print(f"{src} -> {VENDOR.relative_to(ROOT) / dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
