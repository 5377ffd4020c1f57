"""Install letta 0.16.8 with the exact pins of its own lock, idempotently, from the package registries only.

A plain `pip install letta==0.16.8` backtracks for a very long time; the sdist carries `uv.lock`, so uv
exports its pins for the extras the server needs, those are installed, then letta itself without deps.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from .common import EXTRAS, LETTA_VERSION, PGSERVER_VERSION, UV_REQUIREMENT, Paths, StepError

RECIPE = "|".join([LETTA_VERSION, PGSERVER_VERSION, UV_REQUIREMENT, *EXTRAS, sys.version.split()[0], "1"])


def _marker(paths: Paths) -> Path:
    return paths.home / f".installed-{hashlib.sha256(RECIPE.encode()).hexdigest()[:12]}"


def installed(paths: Paths) -> bool:
    return _marker(paths).exists() and (paths.pg_bin / "postgres").exists()


def run_logged(step: str, cmd: list[str], log: Path, **kwargs: object) -> None:
    """Run one command, appending its output to `log`; a failure names the step and the log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False, **kwargs)  # type: ignore[call-overload]
        except OSError as exc:
            raise StepError(step, f"{cmd[0]}: {exc}", log) from exc
    if done.returncode != 0:
        raise StepError(step, f"`{' '.join(cmd[:4])} ...` exited {done.returncode}", log)


def install(paths: Paths, say: object = print) -> float:
    """Install what is missing; returns the seconds it took (0 when everything was there)."""
    if installed(paths):
        return 0.0
    started = time.monotonic()
    log = paths.logs / "install.log"
    paths.home.mkdir(parents=True, exist_ok=True)
    _say = say if callable(say) else print
    _say(f"real-letta: installing letta {LETTA_VERSION} into {paths.home} (log: {log})")
    env = dict(os.environ, UV_CACHE_DIR=str(paths.home / "uv-cache"), UV_NO_CONFIG="1")

    if not (paths.tools / "bin" / "uv").exists():
        run_logged("install", [sys.executable, "-m", "venv", str(paths.tools)], log)
        run_logged("install", [str(paths.tools / "bin" / "pip"), "install", "-q", UV_REQUIREMENT], log)
    uv = str(paths.tools / "bin" / "uv")

    if not (paths.source / "uv.lock").exists():
        paths.sdist_dir.mkdir(parents=True, exist_ok=True)
        run_logged(
            "install",
            [
                str(paths.tools / "bin" / "pip"),
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                "letta",
                "-d",
                str(paths.sdist_dir),
                f"letta=={LETTA_VERSION}",
            ],
            log,
        )
        archive = next(paths.sdist_dir.glob(f"letta-{LETTA_VERSION}.tar.gz"), None)
        if archive is None:
            raise StepError("install", f"no letta-{LETTA_VERSION}.tar.gz was downloaded", log)
        paths.source.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(paths.source.parent, filter="data")
        if not (paths.source / "uv.lock").exists():
            raise StepError("install", f"the sdist has no uv.lock under {paths.source}", log)

    export = [
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-hashes",
        "--no-emit-project",
        "--no-header",
        "--project",
        str(paths.source),
    ]
    for extra in EXTRAS:
        export += ["--extra", extra]
    run_logged("install", [*export, "-o", str(paths.requirements)], log, env=env)

    if not (paths.venv / "bin" / "python").exists():
        run_logged("install", [uv, "venv", "-q", "--python", sys.executable, str(paths.venv)], log, env=env)
    py = str(paths.venv / "bin" / "python")
    run_logged(
        "install", [uv, "pip", "install", "-q", "--python", py, "-r", str(paths.requirements)], log, env=env
    )
    run_logged(
        "install",
        [uv, "pip", "install", "-q", "--python", py, "--no-deps", f"letta=={LETTA_VERSION}"],
        log,
        env=env,
    )

    # Only pgserver's bundled PostgreSQL 16 + pgvector binaries are used, never its Python code.
    if not (paths.pg_bin / "postgres").exists():
        target = paths.pg_home / "pgserver"
        shutil.rmtree(target, ignore_errors=True)
        paths.pg_home.mkdir(parents=True, exist_ok=True)
        run_logged(
            "install",
            [
                uv,
                "pip",
                "install",
                "-q",
                "--python",
                py,
                "--no-deps",
                "--target",
                str(target),
                f"pgserver=={PGSERVER_VERSION}",
            ],
            log,
            env=env,
        )
        if not (paths.pg_bin / "postgres").exists():
            raise StepError("install", f"pgserver {PGSERVER_VERSION} brought no postgres binary", log)

    if shutil.which("redis-server") is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            raise StepError("install", "redis-server is missing; install Debian's redis-server package", log)
        apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run_logged("install", ["apt-get", "update", "-qq"], log, env=apt_env)
        run_logged(
            "install",
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"],
            log,
            env=apt_env,
        )

    _marker(paths).touch()
    took = time.monotonic() - started
    _say(f"real-letta: installed in {took:.0f} s")
    return took
