"""The README's Python examples, run as they are written, so the documentation cannot rot.

Every ```` ```python ```` block under a heading that names pytest or Python is an example: one that
defines ``def test_...`` runs as a test module in an inner pytest session (with every installed
plugin, as in a user's suite); any other runs as a script. Both run in a fresh interpreter with
warnings as errors. A fragment that is not meant to run takes another info string (```` ```text ````).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support import run_inner

README = Path(__file__).resolve().parents[2] / "README.md"
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
_TEST_FUNCTION = re.compile(r"^(?:async\s+)?def\s+test_\w*\s*\(", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    heading: str
    line: int
    """1-based line of the opening fence in README.md."""
    code: str

    @property
    def tests(self) -> int:
        return len(_TEST_FUNCTION.findall(self.code))

    def __str__(self) -> str:
        return f"{self.heading} (README.md:{self.line})"


def python_examples(text: str) -> list[Example]:
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
            examples.append(Example(heading, index + 1, "\n".join(lines[index + 1 : end]) + "\n"))
        index = end + 1
    return examples


def _closing(lines: list[str], opening: int, fence: str) -> int:
    """The line that closes the block opened at ``opening``: the fence's character, at least as many."""
    for index in range(opening + 1, len(lines)):
        stripped = lines[index].strip()
        if len(stripped) >= len(fence) and set(stripped) == {fence[0]}:
            return index
    raise AssertionError(f"README.md:{opening + 1}: the code block is never closed")


def runnable(examples: list[Example]) -> list[Example]:
    return [one for one in examples if "pytest" in one.heading or "Python" in one.heading]


EXAMPLES = runnable(python_examples(README.read_text(encoding="utf-8")))


def test_the_readme_has_examples_of_both_kinds() -> None:
    assert [one for one in EXAMPLES if one.tests], "no ```python test module under a pytest/Python heading"
    assert [one for one in EXAMPLES if not one.tests], "no ```python script under a pytest/Python heading"


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
    first, second = python_examples(text)

    assert (first.heading, first.line, first.code, first.tests) == ("Title", 3, "first = 1\n", 0)
    assert (second.heading, second.line, second.tests) == ("Using it from pytest", 13, 2)
    assert runnable([first, second]) == [second]


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
