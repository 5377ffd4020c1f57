"""``--letta-mock-profile``: every letta_mock of a session answers as that profile unless its marker says."""

from __future__ import annotations

import pytest

from .support import run_inner

SUITE = """
import pytest


def test_the_option_sets_the_profile(letta_mock):
    assert letta_mock.profile()["profile"] == "letta-oss"


@pytest.mark.letta_mock(profile="contract")
def test_a_marker_wins(letta_mock):
    assert letta_mock.profile()["profile"] == "contract"


@pytest.mark.letta_mock(quirks=["run-delete-500"], no_quirks=["naive-timestamps"])
def test_a_marker_adjusts_the_profile(letta_mock):
    quirks = letta_mock.profile()["quirks"]
    assert quirks["run-delete-500"] is True
    assert quirks["naive-timestamps"] is False
    assert quirks["batch-list-active-only"] is True
"""


def test_the_option_chooses_the_profile_and_a_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run_inner(pytester, "--letta-mock-profile=letta-oss")
    result.assert_outcomes(passed=3)


def test_an_unknown_profile_is_a_usage_error_naming_the_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = run_inner(pytester, "--letta-mock-profile=letta-cloud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--letta-mock-profile letta-cloud: unknown profile 'letta-cloud':"
            " the profiles are contract, letta-oss*"
        ]
    )
