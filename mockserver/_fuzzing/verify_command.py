"""``letta-mockserver verify``: replay a recording against a server and say what a client would see differ.

The recorded requests are sent in order, their ids rewritten through the map learned from the answers
so far (``_recording.idmap``); each answer is compared with the recorded one (``_recording.compare``).
Exit status 0 when nothing differs, 1 when something does, 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx

from mockserver._contract.spec import default_table
from mockserver._fuzzing.verify_quirks import explain
from mockserver._fuzzing.verify_seed import is_mock, run_seeds, seed_runs
from mockserver._recording import replay as recordings
from mockserver._recording.compare import Comparison, Difference, operation_for
from mockserver._recording.exchange import Exchange
from mockserver._recording.idmap import IdMap

PROG = "letta-mockserver verify"
# Never replayed as recorded: credentials (redacted in a recording anyway) and what the client
# library sets for its own connection.
_NOT_SENT = frozenset(
    {
        "authorization",
        "x-bare-password",
        "cookie",
        "host",
        "content-length",
        "connection",
        "transfer-encoding",
        "accept-encoding",
        "keep-alive",
        "x-letta-mock-token",
    }
)


class BadInput(Exception):
    """The recording or a flag cannot be used; the message is the one line the user sees."""


@dataclass
class Row:
    index: int
    method: str
    target: str
    operation: str
    recorded: int
    seen: int | None
    """``None``: not replayed (``skipped`` says why); 0: no answer."""
    differences: int = 0
    skipped: str = ""


@dataclass
class Outcome:
    recording: str
    base_url: str
    rows: list[Row] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    seeding: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return 1 if self.differences else 0

    def as_json(self) -> str:
        document = {
            "recording": self.recording,
            "base_url": self.base_url,
            "differ": bool(self.differences),
            "exchanges": [row.__dict__ for row in self.rows],
            "differences": [{**d.as_json(), "quirk": explain(d)} for d in self.differences],
            "seeding": self.seeding,
            "quirks": self.quirks(),
            "unexplained": sum(1 for d in self.differences if explain(d) is None),
        }
        return json.dumps(document, indent=2, ensure_ascii=False)

    def quirks(self) -> list[str]:
        """The known quirks the differences look like, each once, in the order first seen."""
        return list(dict.fromkeys(name for name in map(explain, self.differences) if name))

    def summary(self) -> str:
        lines = [f"{'#':>3}  {'request':<58} {'status':>9}  differences"]
        for row in self.rows:
            status = f"{row.recorded}/{row.seen if row.seen else ('-' if row.seen is None else 'none')}"
            request = f"{row.method} {row.target}"
            request = request if len(request) <= 58 else request[:57] + "…"
            extra = f"skipped: {row.skipped}" if row.skipped else str(row.differences)
            lines.append(f"{row.index:>3}  {request:<58} {status:>9}  {extra}")
        if self.seeding:
            lines += ["", "Seeded before replaying:", *(f"  {note}" for note in self.seeding)]
        if self.differences:
            lines += ["", "Differences (recorded -> seen):"]
            for d in self.differences:
                where = d.pointer or "(answer)"
                quirk = explain(d)
                named = f" (quirk {quirk})" if quirk else ""
                lines.append(
                    f"  #{d.index} {d.operation} {where} [{d.kind}]: {d.recorded or '-'} -> {d.seen}{named}"
                )
        compared = sum(1 for row in self.rows if not row.skipped)
        verdict = (
            f"{len(self.differences)} difference(s) in {sum(1 for r in self.rows if r.differences)} of"
            f" {compared} exchange(s)"
            if self.differences
            else f"no difference in {compared} exchange(s)"
        )
        if self.differences:
            unexplained = sum(1 for d in self.differences if explain(d) is None)
            shown = ", ".join(self.quirks()) or "none"
            lines += [
                "",
                f"Known quirks these differences look like: {shown}; {unexplained} difference(s) match none",
            ]
        lines += ["", f"{verdict}: {self.recording} against {self.base_url}"]
        return "\n".join(lines)


def load(recording: str) -> list[Exchange]:
    """Every exchange of a recording: a HAR file or cassette, or a folder's, in name order."""
    try:
        return recordings.load(Path(recording), "--recording")
    except ValueError as exc:
        raise BadInput(str(exc).splitlines()[0][:300]) from None


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"--base-url {base_url}: must be an http:// or https:// URL with a host")
    return base_url.rstrip("/")


def _request_headers(exchange: Exchange, api_key: str | None) -> dict[str, str]:
    sent = {k: v for k, v in exchange.request_headers if k.lower() not in _NOT_SENT}
    if api_key:
        sent["Authorization"] = f"Bearer {api_key}"
    return sent


def _rewritten(body: bytes, ids: IdMap) -> bytes:
    try:
        return ids.rewrite(body.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return body  # not text: sent as recorded


def replay(client: httpx.Client, exchange: Exchange, ids: IdMap, api_key: str | None) -> Exchange:
    """Send one recorded request, its ids rewritten; the answer as an exchange (status 0: none came)."""
    path, query = ids.rewrite(exchange.path), ids.rewrite(exchange.query)
    body = _rewritten(exchange.request_body, ids)
    headers = _request_headers(exchange, api_key)
    url = path + (f"?{query}" if query else "")
    started = time.time()
    try:
        answer = client.request(exchange.method, url, content=body or None, headers=headers)
    except httpx.HTTPError as exc:
        failure = f"{type(exc).__name__}: {exc}".encode()
        return Exchange(exchange.method, path, query, tuple(headers.items()), body, 0, (), failure, started)
    return Exchange(
        exchange.method,
        path,
        query,
        tuple(headers.items()),
        body,
        answer.status_code,
        tuple(answer.headers.multi_items()),
        answer.content,
        started,
        answer.elapsed.total_seconds() * 1000,
    )


def verify(
    client: httpx.Client,
    exchanges: list[Exchange],
    outcome: Outcome,
    *,
    api_key: str | None,
    seed_mock: bool,
    control_headers: dict[str, str],
) -> Outcome:
    table = default_table()
    ids = IdMap()
    mock = False
    if seed_mock:
        refusal = is_mock(client, control_headers)
        mock = refusal is None
        if refusal is None:
            seeds, notes = run_seeds(exchanges, table)
            outcome.seeding += notes + seed_runs(client, seeds, ids, control_headers)
            if not outcome.seeding:
                outcome.seeding.append("the recording reads no run made outside the 20 operations")
        else:
            outcome.seeding.append(refusal)
    comparison = Comparison(table, ids)
    for index, recorded in enumerate(exchanges):
        op = operation_for(table, recorded.method, recorded.path)
        target = recorded.path + (f"?{recorded.query}" if recorded.query else "")
        row = Row(index, recorded.method, target, op.operation_id if op else "", recorded.status, None)
        outcome.rows.append(row)
        if op is None and mock:
            row.skipped = "not one of the 20 operations, which is all a mock answers"
            continue
        seen = replay(client, recorded, ids, api_key)
        row.seen = seen.status
        if seen.status == 0:
            found = [
                Difference(
                    index,
                    row.operation or target,
                    "",
                    "connection",
                    str(recorded.status),
                    seen.response_body.decode(),
                )
            ]
        else:
            found = comparison.compare(index, recorded, seen)
        row.differences = len(found)
        outcome.differences += found
    return outcome


def main(
    recording: str,
    base_url: str,
    *,
    api_key: str | None = None,
    json_output: bool = False,
    timeout: float = 30.0,
    seed_mock: bool = False,
    control_token: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the verify command; its exit status (0 agrees, 1 differs, 2 bad input or unreachable)."""
    out = out or sys.stdout
    try:
        base_url = check_base_url(base_url)
        exchanges = load(recording)
    except BadInput as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    control_headers = {"X-Letta-Mock-Token": control_token} if control_token else {}
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        try:
            client.get("/openapi.json", headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        except httpx.HTTPError as exc:
            print(f"{PROG}: --base-url {base_url}: cannot reach the server ({exc})", file=sys.stderr)
            return 2
        outcome = verify(
            client,
            exchanges,
            Outcome(recording, base_url),
            api_key=api_key,
            seed_mock=seed_mock,
            control_headers=control_headers,
        )
    print(outcome.as_json() if json_output else outcome.summary(), file=out)
    return outcome.exit_status
