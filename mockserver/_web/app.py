"""The ASGI application: routes from the operation table, the control API, faults around it.

``create_app`` assembles the parts a configuration asks for (backend, simulation, callback
dispatcher, journal, faults) and wires them; ``_http`` holds the endpoints themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver._answers.backend import Backend
from mockserver._answers.compat import DocumentBackend, load_table, simulated
from mockserver._answers.fixtures import load_response_fixtures
from mockserver._answers.stateful import StatefulBackend
from mockserver._answers.stateless import StatelessBackend
from mockserver._config import Config
from mockserver._contract.errors import MockError
from mockserver._contract.quirks import QuirkSet
from mockserver._contract.resources import data_dir
from mockserver._contract.spec import Operation, OperationTable, default_table
from mockserver._contract.validation import SchemaSet
from mockserver._control.api import Control, ControlRoute
from mockserver._control.callbacks import CallbackDispatcher, CallbackSettings
from mockserver._control.faults import FaultLayer, Faults, Scope
from mockserver._control.journal import RequestJournal
from mockserver._control.requestlog import index, log_unrouted
from mockserver._recording import replay
from mockserver._recording.recorder import Recorder, session_file
from mockserver._recording.redact import redact_query, redact_raw_headers
from mockserver._simulation.clock import make_clock
from mockserver._simulation.observers import Event
from mockserver._simulation.simulation import Simulation
from mockserver._web.dashboard import dashboard_routes
from mockserver._web.dispatch import ApiDispatch
from mockserver._web.endpoints import (
    ApiContext,
    OrjsonResponse,
    api_endpoint,
    control_endpoint,
    error_response,
)
from mockserver._web.recorded import Taps
from mockserver._web.served import served_document


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = f"{exc.detail}: no operation at {request.method} {request.url.path}"
    if exc.status_code == 405 and exc.headers:
        detail += f"; allowed: {exc.headers.get('Allow', '')}"
    log_unrouted(request.method, request.scope["path"], exc.status_code)
    return OrjsonResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


async def _mock_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MockError)
    return error_response(exc)


@dataclass
class Parts:
    """Everything one server is made of; ``MockServer`` and the plugin reach in through this."""

    config: Config
    table: OperationTable
    backend: Backend
    control: Control
    journal: RequestJournal
    faults: Faults
    api: ApiContext
    stateful: StatefulBackend | None = None
    callbacks: CallbackDispatcher | None = None


def _build(config: Config, table: OperationTable) -> Parts:
    strict = SchemaSet(table.refs, "strict")
    schemas = strict if config.validation == "strict" else SchemaSet(table.refs, config.validation)
    if config.state is not None and config.mode != "stateful":
        raise ValueError(
            f"state file {str(config.state)!r}: --state needs --mode stateful (stateless mode keeps no state)"
        )
    fixtures_dir = config.fixtures if config.fixtures is not None else data_dir("fixtures")
    fixtures = load_response_fixtures(
        fixtures_dir, table, strict, mode=config.mode, user=config.fixtures is not None
    )
    journal = RequestJournal(config.journal_size)
    faults = Faults(config.seed)
    quirks = QuirkSet.of(config.profile, config.quirks, config.no_quirks)
    operation_ids = tuple(table)
    if config.mode == "stateless":
        backend: Backend = StatelessBackend(
            table, seed=config.seed, fixtures=fixtures, adversarial=config.responses == "fuzz", quirks=quirks
        )
        control = Control(
            None, strict, faults=faults, journal=journal, operation_ids=operation_ids, quirks=quirks
        )
        return Parts(
            config,
            table,
            backend,
            control,
            journal,
            faults,
            ApiContext(table, schemas, backend, journal, api_key=config.api_key, quirks=quirks),
        )
    sim = Simulation(
        make_clock(config.clock),
        seed=config.seed,
        job_duration=config.job_duration,
        max_records=config.max_records,
    )
    settings = CallbackSettings(
        timeout=config.callback_timeout,
        retries=config.callback_retries,
        concurrency=config.callback_concurrency,
        allow_hosts=config.callback_allow_hosts,
        journal_size=config.journal_size,
    )
    callbacks = CallbackDispatcher(settings, sim.now, quirks)
    sim.observe(Event.FINISHED, callbacks.on_finished)
    stateful = StatefulBackend(
        sim,
        trace_spans=fixtures.get("retrieve_trace_for_run"),
        ping_interval=config.stream_ping_interval,
        quirks=quirks,
    )
    answers: Backend = stateful
    if not simulated().issuperset(table):
        # Operations of an --openapi document the simulation does not know: answered from the document.
        generated = StatelessBackend(table, seed=config.seed, fixtures=fixtures)
        answers = DocumentBackend(stateful, generated, simulated())
    control = Control(
        sim,
        strict,
        callbacks=callbacks,
        faults=faults,
        journal=journal,
        operation_ids=operation_ids,
        quirks=quirks,
    )
    if config.state is not None:
        control.startup.load_snapshot(config.state)  # first: restoring replaces the whole state
    control.startup.load_seed_files(fixtures_dir)
    api = ApiContext(table, schemas, answers, journal, api_key=config.api_key, sim=sim, quirks=quirks)
    return Parts(config, table, answers, control, journal, faults, api, stateful, callbacks)


def _taps(config: Config) -> Taps:
    """``--replay`` read (a bad file stops the start, naming it), ``--record``'s file opened."""
    taps = Taps()
    if config.replay is not None:
        taps.replay = replay.Replay(replay.load(Path(config.replay)))
    if config.record is not None:
        taps.recorder = Recorder(session_file(Path(config.record)))
    return taps


def _shadowed(table: OperationTable, path: str) -> dict[str, str]:
    """Literal paths that ``path``'s parameter could spell, with the methods they allow."""
    if not path.endswith("}"):
        return {}
    prefix = path[: path.rindex("/") + 1]
    found = {}
    for other, methods in table.paths.items():
        rest = other.removeprefix(prefix)
        if other != path and other.startswith(prefix) and rest and "/" not in rest and "{" not in rest:
            allowed = sorted({*methods, *(("HEAD",) if "GET" in methods else ())})
            found[other] = ", ".join(allowed)
    return found


def _api_routes(parts: Parts, table: OperationTable) -> list[Route]:
    """One route per path of the document, in the order Starlette should try them.

    Within a family (batches, runs, jobs) literal segments come first, as `/v1/runs/active` must win
    over `/v1/runs/{run_id}`; the families are ordered so that the batch routes, the API's centre, are
    found after the fewest tries (``ApiDispatch`` tries them in this order too).
    """
    family = {"/v1/messages": 0, "/v1/runs": 1, "/v1/jobs": 2}
    paths = sorted(table.paths, key=lambda p: (family.get(p[: p.find("/", 4)], 3), p.count("{"), p))
    return [
        Route(
            path,
            api_endpoint(parts.api, table.paths[path], _shadowed(table, path)),
            methods=list(table.paths[path]),
        )
        for path in paths
    ]


def _other_routes(config: Config, parts: Parts, table: OperationTable) -> list[Route]:
    """``/openapi.json``, ``/`` and the control API's routes."""
    served = served_document(
        table.document,
        strict=config.validation == "strict",
        api_key=config.api_key is not None,
        control_routes=parts.control.routes(),
        control_document=parts.control.document,
    )
    home = index(config.mode)

    async def openapi(_request: Request) -> Response:
        return OrjsonResponse(served)

    async def root(_request: Request) -> Response:
        # Not an operation of the API (nor in its document): a person's first request finds the way here.
        return OrjsonResponse(home)

    routes = [Route("/openapi.json", openapi, methods=["GET"]), Route("/", root, methods=["GET"])]
    by_path: dict[str, dict[str, ControlRoute]] = {}
    for control_route in parts.control.routes():
        by_path.setdefault(control_route.path, {})[control_route.method] = control_route
    routes += [
        Route(path, control_endpoint(methods, parts.control, config.control_token), methods=list(methods))
        for path, methods in by_path.items()
    ]
    return routes + dashboard_routes(config.control_token)


def create_app(config: Config | None = None, *, table: OperationTable | None = None) -> Any:
    """The mock server as an ASGI application (its parts are at ``app.state.parts``)."""
    config = config or Config()
    if table is None:
        table = load_table(config.openapi) if config.openapi is not None else default_table()
    parts = _build(config, table)
    parts.api.taps = _taps(config)
    api_routes = _api_routes(parts, table)
    routes = api_routes + _other_routes(config, parts, table)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if parts.stateful is not None:
            parts.stateful.sim.start_ticker()
        if parts.callbacks is not None:
            parts.callbacks.start()  # callbacks of runs and jobs seeded from state fixtures
        try:
            yield
        finally:
            if parts.stateful is not None:
                await parts.stateful.sim.stop_ticker()
            if parts.callbacks is not None:
                await parts.callbacks.close()
            if parts.api.taps.recorder is not None:
                parts.api.taps.recorder.close()

    app = Starlette(
        routes=routes,
        exception_handlers={MockError: _mock_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    # The SDK calls `/v1/runs/` and `/v1/messages/batches` exactly; the other spelling is a 404, not a 307.
    app.router.redirect_slashes = False
    app.state.parts = parts

    return FaultLayer(ApiDispatch(app, api_routes), parts.faults, table, fault_journal(parts.journal))


def fault_journal(
    journal: RequestJournal, *, redacted: bool = False
) -> Callable[[Scope, Operation, int, str], None]:
    """What the fault layer calls for a request a fault answered: the journal's entry for it (credentials
    redacted, for the proxy, whose journal must never hold a client's)."""

    def record_fault(scope: Scope, op: Operation, status: int, fault: str) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        headers = list(scope.get("headers", []))
        journal.record(
            method=scope["method"],
            path=scope["path"],
            query=redact_query(query) if redacted else query,
            headers=redact_raw_headers(headers) if redacted else headers,
            body=b"",
            status=status,
            duration=0.0,
            operation_id=op.operation_id,
            label=op.label,
            fault=fault,
        )

    return record_fault
