"""The fidelity page's quirk-by-quirk table, made from the last conformance run (`last_run.json`).

`python tests/real_letta/publish.py` writes it between the markers of docs/fidelity.md;
`test_publish.py` keeps the page equal to what the committed `last_run.json` gives.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from mockserver._contract.quirks import PROFILES, QUIRKS

HERE = Path(__file__).resolve().parent
LAST_RUN = HERE / "last_run.json"
PAGE = HERE.parents[1] / "docs" / "fidelity.md"
BLOCK = re.compile(r"(<!-- real-server:start -->\n)(?P<table>.*?)(<!-- real-server:end -->)", re.S)
# Why the session cannot make the real server show these (tests/real_letta/test_conformance.py).
NOT_SHOWN = {
    "batch-cancel-unguarded": (
        "not shown: with polling off no batch finishes there, so none is cancelled after its end"
    ),
    "cancelled-stream-no-done": "not shown: an async run's stream sends nothing there",
}


def table(last_run: dict[str, Any]) -> str:
    seen = set(last_run.get("quirks_seen", ()))
    oss = PROFILES["letta-oss"].quirks
    where = f"{last_run['server']}, {last_run['date']}"
    rows = [
        f"| quirk | the real server shows it ({where}) | `letta-oss` reproduces it |",
        "|---|---|---|",
    ]
    for quirk in QUIRKS:
        shown = "yes" if quirk.name in seen else NOT_SHOWN.get(quirk.name, "**no**")
        rows.append(f"| `{quirk.name}` | {shown} | {'yes' if quirk.name in oss else '**no**'} |")
    return "\n".join(rows) + "\n"


def current() -> str:
    return table(json.loads(LAST_RUN.read_text(encoding="utf-8")))


def main() -> int:
    page = PAGE.read_text(encoding="utf-8")
    if not BLOCK.search(page):
        print(
            f"{PAGE.name} has no <!-- real-server:start --> ... <!-- real-server:end --> block",
            file=sys.stderr,
        )
        return 2
    PAGE.write_text(BLOCK.sub(lambda m: m.group(1) + current() + m.group(3), page), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
