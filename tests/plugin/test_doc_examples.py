"""The Python examples of README.md and of every page in docs/, run as they are written.

Every ```` ```python ```` block is an example: one that defines ``def test_...`` runs as a test module
in an inner pytest session (with every installed plugin, as in a user's suite); any other runs as a
script. Both run in a fresh interpreter with warnings as errors. A fragment that is not meant to run
takes another info string (```` ```text ```` or ```` ```py ````).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support import run_inner

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
_TEST_FUNCTION = re.compile(r"^(?:async\s+)?def\s+test_\w*\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    heading: str
    line: int
    """1-based line of the opening fence in its page."""
    code: str
    page: str = "README.md"

    @property
    def tests(self) -> int:
        return len(_TEST_FUNCTION.findall(self.code))

    def __str__(self) -> str:
        return f"{self.heading} ({self.page}:{self.line})"


def python_examples(text: str, page: str = "README.md") -> list[Example]:
    """The ```python blocks of a Markdown text, each with the heading it sits under."""
    examples: list[Example] = []
    heading = ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            found = _HEADING.match(lines[index])
            heading = found.group("title") if found is not None else heading
            index += 1
            continue
        end = _closing(lines, index, fence.group("fence"))  # a `#` inside a block is no heading
        if fence.group("info") == "python":
            examples.append(Example(heading, index + 1, "\n".join(lines[index + 1 : end]) + "\n", page))
        index = end + 1
    return examples


def _closing(lines: list[str], opening: int, fence: str) -> int:
    """The line that closes the block opened at ``opening``: the fence's character, at least as many."""
    for index in range(opening + 1, len(lines)):
        stripped = lines[index].strip()
        if len(stripped) >= len(fence) and set(stripped) == {fence[0]}:
            return index
    raise AssertionError(f"line {opening + 1}: the code block is never closed")


EXAMPLES = [
    example
    for page in PAGES
    for example in python_examples(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))
]


def test_the_readme_has_examples_of_both_kinds() -> None:
    readme = [one for one in EXAMPLES if one.page == "README.md"]
    assert [one for one in readme if one.tests], "no ```python test module in README.md"
    assert [one for one in readme if not one.tests], "no ```python script in README.md"


def test_examples_are_found_with_their_headings() -> None:
    text = """# Title

```python
first = 1
```

## Using it from pytest

```sh
# not a heading
```

~~~python
def test_one():
    pass


async def test_two():
    pass
~~~
"""
    first, second = python_examples(text, "docs/page.md")

    assert (first.heading, first.line, first.code, first.tests) == ("Title", 3, "first = 1\n", 0)
    assert (second.heading, second.line, second.tests) == ("Using it from pytest", 13, 2)
    assert str(second) == "Using it from pytest (docs/page.md:13)"


@pytest.mark.slow  # an inner session or interpreter per example
@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_readme_example_runs(pytester: pytest.Pytester, example: Example) -> None:
    if example.tests:
        pytester.makepyfile(test_readme_example=example.code)
        result = run_inner(pytester, isolated=False)
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= example.tests, result.stdout.str()
        assert not {"failed", "errors", "error", "xpassed"} & set(outcomes), result.stdout.str()
    else:
        script = pytester.makepyfile(readme_example=example.code)
        result = pytester.run(sys.executable, "-W", "error", str(script), timeout=120)
        assert result.ret == 0, f"{example} failed:\n{result.stdout.str()}\n{result.stderr.str()}"
