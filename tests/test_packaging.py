"""The built wheel carries what the runtime loads, and the entry points work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import mockserver

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=180,
    )
    (built,) = out.glob("letta_mockserver-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_schemas_fixtures_marker_and_dashboard(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "mockserver/_data/schemas/letta-openapi.json" in names
    assert "mockserver/_data/schemas/batch-job.schema.json" in names
    assert "mockserver/_data/fixtures/retrieve_trace_for_run.json" in names
    assert "mockserver/py.typed" in names
    # The dashboard's page, script and style ship in the package: nothing is fetched from elsewhere.
    for asset in ("index.html", "app.js", "util.js", "views.js", "style.css"):
        assert f"mockserver/_web/dashboard/{asset}" in names, asset


@pytest.mark.slow
def test_installed_wheel_finds_schemas_and_fixtures_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=180,
    )
    script = (
        "import json, mockserver\n"
        "from mockserver._contract.resources import data_dir\n"
        "from mockserver._web.app import create_app\n"
        "app = create_app()\n"
        "print(json.dumps({'file': mockserver.__file__, 'schemas': str(data_dir('schemas')),"
        " 'fixtures': str(data_dir('fixtures')), 'operations': len(mockserver.default_table())}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(result.stdout)
    assert Path(found["file"]).is_relative_to(target)
    assert Path(found["schemas"]) == target / "mockserver" / "_data" / "schemas"
    assert Path(found["fixtures"]) == target / "mockserver" / "_data" / "fixtures"
    assert found["operations"] == 20


def test_python_dash_m_and_console_script_show_help() -> None:
    for command in (
        [sys.executable, "-m", "mockserver", "--help"],
        [str(Path(sys.executable).parent / "letta-mockserver"), "--help"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert "letta-mockserver" in result.stdout
        assert "serve" in result.stdout


def test_public_api_is_pinned() -> None:
    assert sorted(mockserver.__all__) == [
        "Config",
        "ContractViolation",
        "ControlError",
        "InProcessMock",
        "MockRequest",
        "MockResponse",
        "MockServer",
        "Operation",
        "OperationTable",
        "__version__",
        "create_app",
        "default_table",
        "serve",
    ]
    for name in mockserver.__all__:
        assert getattr(mockserver, name) is not None
