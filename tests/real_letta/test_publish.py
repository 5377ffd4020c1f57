"""docs/fidelity.md's quirk-by-quirk table is what the last conformance run (`last_run.json`) gives."""

from __future__ import annotations

from .publish import BLOCK, PAGE, current, table


def test_the_fidelity_page_shows_the_last_run() -> None:
    found = BLOCK.search(PAGE.read_text(encoding="utf-8"))
    assert found, "docs/fidelity.md has no <!-- real-server:start --> ... <!-- real-server:end --> block"
    assert found.group("table") == current(), "stale: run `python tests/real_letta/publish.py`"


def test_a_quirk_the_server_did_not_show_says_so() -> None:
    made = table({"server": "letta 0.16.8", "date": "2026-12-02", "quirks_seen": ["naive-timestamps"]})
    assert "| `naive-timestamps` | yes | yes |" in made
    assert "| `run-delete-500` | **no** | yes |" in made
    assert "| `batch-cancel-unguarded` | not shown: with polling off" in made
