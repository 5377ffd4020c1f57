"""Recordings made once per session against real servers of each profile, and servers to replay them on."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import MockServer

from .support import SETTINGS, Recorder, ServerFactory, session


def _recorded(server: MockServer, folder: Path) -> Path:
    recorder = Recorder()
    recorder.exchanges = session(server)
    return recorder.save(folder / "session.har")


@pytest.fixture(scope="session")
def recordings(server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A HAR file of the scripted session, per profile, made against a server with seed 0."""
    made = {}
    for profile in ("contract", "letta-oss"):
        server = server_factory(profile=profile, seed=0, **SETTINGS)
        made[profile] = _recorded(server, tmp_path_factory.mktemp(f"recording-{profile}"))
    return made


@pytest.fixture
def target(server_factory: ServerFactory) -> ServerFactory:
    """A fresh server to verify against: another seed (so every id differs from the recording's), reset."""

    def start(profile: str) -> MockServer:
        server = server_factory(profile=profile, seed=7, **SETTINGS)
        server.reset()
        return server

    return start
