"""The real server's quirks and the profiles that bundle them, declared once, as data.

A *quirk* is one way the real Letta server differs from its documentation that a client can trip
over; a *profile* is a named set of quirks that reproduces one server. ``contract`` (the default)
has none: the mock answers as the documentation says. The few seams where behaviour forks (the
422 renderer, list filtering, cursor direction, cancel guard, the always-500 routes, stream
endings) ask a :class:`QuirkSet` whether a quirk is on; nothing compares profile names.
``letta-mockserver quirks``, ``GET /_mock/profile`` and docs/profiles.md's table are all made
from :data:`QUIRKS` and :data:`PROFILES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Quirk:
    name: str
    description: str
    """One line: what the real server does that its documentation does not say."""
    code: str
    """Where the real server does it, relative to the root of ``letta-ai/letta`` at the profile's commit."""
    breaks: str
    """What a client written against the documentation sees, and the usual fix."""
    stateless: bool = False
    """Whether ``--mode stateless`` answers with it too; the others need the simulation's records."""

    @property
    def modes(self) -> str:
        return "stateful and stateless" if self.stateless else "stateful only"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    server: str
    """The server the profile reproduces, with its commit or release (``GET /_mock/profile`` names it)."""
    quirks: frozenset[str]


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        "naive-timestamps",
        "completed_at and callback_sent_at of jobs, batches and runs carry no UTC offset"
        " (timestamp without time zone columns), nor does a callback payload's completed_at",
        "alembic/versions/567e9fe06270_*.py:29,36; alembic/versions/3c683a662c82_*.py:35;"
        " letta/services/job_manager.py:129-133",
        "Python: subtracting them from the offset-aware created_at raises TypeError; JavaScript reads"
        " them as local time; parse a timestamp without an offset as UTC",
        stateless=True,
    ),
    Quirk(
        "validation-detail-string",
        'a 422 body\'s "detail" is a string (a Python repr of the errors, tuple locs, single quotes)'
        ' plus "trace_id": ""',
        "letta/server/rest_api/app.py:477-532",
        'code that reads `e.body["detail"][0]["loc"]` raises TypeError; read the detail defensively'
        " (a list, or else a string) and log it whole",
        stateless=True,
    ),
    Quirk(
        "batch-list-active-only",
        "GET /v1/messages/batches lists only created and running batches",
        "letta/server/rest_api/routers/v1/messages.py:194-202",
        "code that lists batches to find finished ones never sees them; retrieve each batch by id",
    ),
    Quirk(
        "batch-polling-off",
        "with batch polling off (the server's default) a new batch is running at once and never"
        " finishes: its items stay unanswered and no callback is sent; cancelling it stores cancelled"
        ' and answers 501 {"detail":"Batch job cancellation is not enabled"}. In the mock a scenario'
        " naming the batch (batch_id, or next_batches before it is created) stands in for the poller"
        " and finishes it as scripted",
        "letta/settings.py:419; letta/server/rest_api/routers/v1/messages.py:120-131,245-272",
        "a client waiting for a batch to finish waits forever: give every wait a deadline, and expect"
        " the cancel after it to answer 501 although the batch is cancelled",
    ),
    Quirk(
        "callback-url-none-string",
        'a batch created without callback_url stores and returns callback_url "None"; when it'
        ' finishes, its callback_error is "Failed to dispatch callback for job <id> to None: Request'
        " URL is missing an 'http://' or 'https://' protocol.\"",
        "letta/server/rest_api/routers/v1/messages.py:124-131; letta/services/job_manager.py:117-144",
        "code that tests `if batch.callback_url:` expects a callback that never comes, and sees a"
        ' callback_error on a batch that asked for none: treat "None" as no callback URL',
        stateless=True,
    ),
    Quirk(
        "batch-messages-after-500",
        'GET /v1/messages/batches/{batch_id}/messages with any `after` answers 500 {"detail":"An unknown'
        ' error occurred"}',
        "letta/services/llm_batch_manager.py:170-173",
        "the SDK's iteration fetches the second page with after=<last id>, retries, and raises"
        " InternalServerError; ask for every message at once (a large `limit`), or treat a 500 on a"
        " later page as the end of the data",
        stateless=True,
    ),
    Quirk(
        "batch-messages-before-ignored",
        "GET /v1/messages/batches/{batch_id}/messages ignores `before`: the page starts at the head"
        " of the sort order, and an unknown `before` is no error",
        "letta/server/rest_api/routers/v1/messages.py:234-240",
        "paging backwards with before=<first id> gets the same page again: page forwards only (or ask"
        " for every message at once)",
    ),
    Quirk(
        "run-delete-500",
        "DELETE /v1/runs/{run_id} always answers 500 (it calls a method that does not exist)",
        "letta/server/rest_api/routers/v1/runs.py:321",
        "deleting a run raises InternalServerError after the SDK's retries; do not rely on deleting runs",
        stateless=True,
    ),
    Quirk(
        "job-cancel-500",
        "PATCH /v1/jobs/{job_id}/cancel cancels the job and then answers 500 (a bool returned as a Job)",
        "letta/server/rest_api/routers/v1/jobs.py:107-129",
        "the cancel raises InternalServerError although the job is cancelled; retrieve the job to see",
        stateless=True,
    ),
    Quirk(
        "stream-without-body-500",
        "POST /v1/runs/{run_id}/stream without a request body answers 500, although the documentation makes"
        " the body optional",
        "letta/server/rest_api/routers/v1/runs.py:324-411 (reads `None.starting_after`)",
        "a raw client that posts no body gets InternalServerError; send `{}` (the SDK always does)",
        stateless=True,
    ),
    Quirk(
        "run-retrieve-duration-null",
        "GET /v1/runs/{run_id} answers total_duration_ns null (the runs column is never written); only the"
        " list fills it, from the run's metrics",
        "letta/services/run_manager.py:292-300 (only the list reads the metrics)",
        "a run's duration read from the run itself is always None: read it from GET /v1/runs/ or the metrics",
    ),
    Quirk(
        "owner-ids",
        "Job and BatchJob answers carry user_id, RunMetrics and Step answers organization_id: fields the"
        " documented schemas (additionalProperties false) leave out",
        "letta/schemas/job.py, run_metrics.py, step.py (the OSS models keep the owner's id)",
        "a client that validates answers against the documented schemas rejects every real one: allow"
        " unknown properties",
        stateless=True,
    ),
    Quirk(
        "batch-cancel-unguarded",
        "cancelling a finished batch rewrites it to cancelled (completed_at unchanged, no callback)",
        "letta/server/rest_api/routers/v1/messages.py:245-272",
        '"cancel just in case" turns a completed batch into a cancelled one; retrieve it first and cancel'
        " only a created or running batch",
    ),
    Quirk(
        "cancelled-stream-no-done",
        "the stream of a cancelled run ends after its stop_reason, without usage and without [DONE]",
        "letta/server/rest_api/streaming_response.py:183-206",
        "a client waiting for [DONE] or for the usage chunk waits in vain; end on the stop reason",
    ),
    Quirk(
        "run-cursors-inverted",
        "GET /v1/runs/: before and after are inverted against their documentation, and the page is the"
        " head of the sort order, not the rows next to the cursor",
        "letta/services/helpers/run_manager_helper.py:11-69",
        "with the default order=desc the next (older) page is before=<last id>; the SDK's auto-paging"
        " (after=<last id>) repeats the newest runs: stop paging when an id repeats",
    ),
    Quirk(
        "job-cursors-chronological",
        "GET /v1/messages/batches and /v1/jobs/: before is older and after newer whatever `order` says,"
        " and the page is the head of the sort order",
        "letta/services/job_manager.py:243-298",
        "with the default order=desc the SDK's auto-paging (after=<last id>) sees the first page again,"
        " one fewer each time, and never older batches: page with order=asc, or stop on a repeated id",
    ),
    Quirk(
        "job-cursors-crossed-400",
        "GET /v1/messages/batches and /v1/jobs/ with both cursors, `before` naming an older record than"
        """ `after`, answer 400 {"detail":"'before' reference must be later than 'after' reference"}""",
        "letta/services/job_manager.py:259-264",
        "a window asked for in the sort order's terms (after the newer, before the older, as order=desc"
        " reads) raises BadRequestError instead of giving a page: before is always the newer bound",
    ),
)

BY_NAME: Mapping[str, Quirk] = {quirk.name: quirk for quirk in QUIRKS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

LETTA_OSS_SERVER = "letta-ai/letta at commit 56ba9c255 (letta 0.16.8), the open-source server"

PROFILES: Mapping[str, Profile] = {
    "contract": Profile("contract", "the documented contract (the shipped OpenAPI document)", frozenset()),
    "letta-oss": Profile("letta-oss", LETTA_OSS_SERVER, frozenset(NAMES)),
}
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)
DEFAULT_PROFILE = "contract"


def profiles_of(name: str) -> list[str]:
    """The profiles that include the quirk ``name``."""
    return [profile.name for profile in PROFILES.values() if name in profile.quirks]


def unknown_quirks(names: Iterable[str]) -> list[str]:
    return sorted(name for name in names if name not in BY_NAME)


def check_profile(name: str) -> None:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: the profiles are {', '.join(PROFILE_NAMES)}")


def check_quirks(names: Iterable[str], where: str = "quirk") -> None:
    unknown = unknown_quirks(names)
    if unknown:
        raise ValueError(
            f"unknown {where} {', '.join(map(repr, unknown))}: the quirks are {', '.join(NAMES)}"
        )


def resolve(profile: str, on: Iterable[str] = (), off: Iterable[str] = ()) -> frozenset[str]:
    """The quirks in force: the profile's, plus ``on``, less ``off`` (``off`` wins)."""
    check_profile(profile)
    on, off = frozenset(on), frozenset(off)
    check_quirks(on | off)
    return (PROFILES[profile].quirks | on) - off


@dataclass
class QuirkSet:
    """The quirks a running server is answering with; shared by every seam, changed in place by
    ``PUT /_mock/profile`` and put back by a reset."""

    profile: str = DEFAULT_PROFILE
    active: frozenset[str] = field(default_factory=frozenset)
    _start: tuple[str, frozenset[str]] = ("", frozenset())

    def __post_init__(self) -> None:
        check_profile(self.profile)
        check_quirks(self.active)
        self._start = (self.profile, self.active)

    @classmethod
    def of(cls, profile: str, on: Iterable[str] = (), off: Iterable[str] = ()) -> QuirkSet:
        return cls(profile, resolve(profile, on, off))

    def __contains__(self, name: object) -> bool:
        return name in self.active

    def set(self, profile: str, quirks: Mapping[str, bool] | None = None) -> None:
        """Answer as ``profile``, with each of ``quirks`` turned on (``True``) or off."""
        quirks = dict(quirks or {})
        on = [name for name, wanted in quirks.items() if wanted]
        off = [name for name, wanted in quirks.items() if not wanted]
        self.active = resolve(profile, on, off)
        self.profile = profile

    def restore(self) -> None:
        self.profile, self.active = self._start

    def as_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "server": PROFILES[self.profile].server,
            "quirks": {name: name in self.active for name in NAMES},
        }


def quirk_table() -> str:
    """The Markdown table of docs/profiles.md: every quirk, what it breaks, where, which profiles."""
    lines = [
        "| quirk | the real server | what a client sees, and the usual fix | code | modes | profiles |",
        "|---|---|---|---|---|---|",
    ]
    for quirk in QUIRKS:
        cells = [
            f"`{quirk.name}`",
            quirk.description,
            quirk.breaks,
            f"`{quirk.code}`",
            quirk.modes,
            ", ".join(f"`{p}`" for p in profiles_of(quirk.name)),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def quirk_listing() -> str:
    """What ``letta-mockserver quirks`` prints: every quirk, then the profiles."""
    lines: list[str] = []
    for quirk in QUIRKS:
        lines += [
            quirk.name,
            f"  {quirk.description}",
            f"  code: {quirk.code}",
            f"  modes: {quirk.modes}",
            f"  profiles: {', '.join(profiles_of(quirk.name)) or 'none'}",
        ]
    lines.append("")
    lines += [f"profile {p.name}: {p.server}" for p in PROFILES.values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--markdown-table"]:
        sys.exit("usage: python -m mockserver._contract.quirks --markdown-table")
    sys.stdout.write(quirk_table())
