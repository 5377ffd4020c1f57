"""start/stop/status/url: PostgreSQL, Redis, the Anthropic stand-in and the Letta server, on loopback.

`stop` stops exactly the processes `start` recorded (checked by PID and start time, so a reused PID is left
alone) and PostgreSQL through `pg_ctl stop` on its own data directory; nothing else.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import DB_NAME, DB_ROLE, PG_USER_OS, Paths, StepError, free_port, read_state, write_state
from .install import install, run_logged

# Start-up takes ~15 s on an idle machine and minutes on a busy 2-core one.
HEALTH_TIMEOUT_S = 300.0


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process (field 22 of /proc/PID/stat), to tell it from a reused PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(entry: dict[str, Any]) -> bool:
    return _start_time(int(entry["pid"])) == str(entry["started"])


def _spawn(
    paths: Paths, name: str, cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> dict[str, Any]:
    log = paths.logs / f"{name}.log"
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    started = _start_time(proc.pid)
    return {"pid": proc.pid, "started": started, "log": str(log)}


def _as_pg_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER_OS, "--", *cmd] if os.geteuid() == 0 else cmd


def _ensure_pg_user(paths: Paths) -> None:
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "-u", PG_USER_OS], capture_output=True, check=False).returncode != 0:
        run_logged(
            "database",
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER_OS],
            paths.logs / "postgres.log",
        )
    shutil.chown(paths.pg_home, PG_USER_OS)


def _pg_password(paths: Paths) -> str:
    if not paths.secret_file.exists():
        paths.secret_file.write_text(secrets.token_hex(16))
        paths.secret_file.chmod(0o600)
    return paths.secret_file.read_text().strip()


def _start_postgres(paths: Paths, password: str) -> int:
    log = paths.logs / "postgres.log"
    _ensure_pg_user(paths)
    pg_bin = paths.pg_bin
    if not (paths.pg_data / "PG_VERSION").exists():
        shutil.rmtree(paths.pg_data, ignore_errors=True)
        pwfile = paths.pg_home / "initdb-pw"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, PG_USER_OS)
        pwfile.chmod(0o600)
        try:
            run_logged(
                "database",
                _as_pg_user(
                    [
                        str(pg_bin / "initdb"),
                        "-D",
                        str(paths.pg_data),
                        "-U",
                        DB_ROLE,
                        "--pwfile",
                        str(pwfile),
                        "-A",
                        "scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale",
                        "C",
                    ]
                ),
                log,
            )
        finally:
            pwfile.unlink(missing_ok=True)
    port = free_port()
    # The server log goes where the unprivileged user may write it; its path is printed with any failure.
    server_log = paths.pg_home / "server.log"
    run_logged(
        "database",
        _as_pg_user(
            [
                str(pg_bin / "pg_ctl"),
                "-D",
                str(paths.pg_data),
                "-l",
                str(server_log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-h 127.0.0.1 -p {port} -k {paths.pg_home}",
                "start",
            ]
        ),
        log,
    )
    env = dict(os.environ, PGPASSWORD=password)
    psql = [
        str(pg_bin / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        DB_ROLE,
        "-v",
        "ON_ERROR_STOP=1",
        "-qAt",
    ]
    found = subprocess.run(
        [*psql, "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if found.returncode != 0:
        raise StepError("database", f"psql could not connect: {found.stderr.strip()}", server_log)
    if found.stdout.strip() != "1":
        run_logged("database", [*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], log, env=env)
    run_logged(
        "database", [*psql, "-d", DB_NAME, "-c", "CREATE EXTENSION IF NOT EXISTS vector"], log, env=env
    )
    return port


def _alembic_version(paths: Paths, port: int, password: str) -> str | None:
    done = subprocess.run(
        [
            str(paths.pg_bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            DB_ROLE,
            "-d",
            DB_NAME,
            "-qAt",
            "-c",
            "SELECT version_num FROM alembic_version",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PGPASSWORD=password),
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def _migrate(paths: Paths, env: dict[str, str], pg_uri: str) -> None:
    run_logged(
        "migrations",
        [str(paths.venv / "bin" / "alembic"), "-c", str(paths.source / "alembic.ini"), "upgrade", "head"],
        paths.logs / "migrations.log",
        env=dict(env, LETTA_PG_URI=pg_uri.split("?")[0]),
        cwd=paths.source,
    )


def _stop_postgres(paths: Paths) -> None:
    if (paths.pg_data / "postmaster.pid").exists():
        subprocess.run(
            _as_pg_user([str(paths.pg_bin / "pg_ctl"), "-D", str(paths.pg_data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            check=False,
        )


def _wait_health(url: str, entry: dict[str, Any]) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _alive(entry):
            raise StepError("start", "the letta server exited before it was healthy", Path(entry["log"]))
        try:
            with urllib.request.urlopen(f"{url}/v1/health/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise StepError(
        "start",
        f"no healthy answer from {url}/v1/health/ within {HEALTH_TIMEOUT_S:.0f} s",
        Path(entry["log"]),
    )


def _took(step: str, since: float) -> float:
    now = time.monotonic()
    print(f"real-letta: {step} {now - since:.0f} s", file=sys.stderr)
    return now


def start(paths: Paths) -> int:
    state = read_state(paths)
    if state and any(_alive(e) for e in state["processes"].values()):
        print(f"real-letta: already running at {state['url']}")
        return 0
    began = time.monotonic()
    install(paths)
    mark = _took("install", began)
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.scratch_home.mkdir(parents=True, exist_ok=True)
    password = _pg_password(paths)
    state = {"processes": {}, "pg_data": str(paths.pg_data), "logs": str(paths.logs)}
    try:
        pg_port = _start_postgres(paths, password)
        state["pg_port"] = pg_port
        write_state(paths, state)
        mark = _took("database", mark)
        pg_uri = f"postgresql://{DB_ROLE}:{password}@127.0.0.1:{pg_port}/{DB_NAME}?ssl=disable"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTA_", "VIRTUAL_ENV", "PYTHON"))}
        env.update(
            HOME=str(paths.scratch_home),
            LETTA_PG_URI=pg_uri,
            OPENAI_API_KEY="sk-not-used",
            ANTHROPIC_API_KEY="sk-ant-not-used",
            PATH=f"{paths.venv / 'bin'}:{env.get('PATH', '')}",
        )
        # Alembic goes through pg8000, which takes no ssl parameter (and uses no SSL unless asked).
        # Even with nothing to do it imports the whole server (a minute or more here), so a database
        # known to be at the head this install reached is left alone.
        migrated = paths.home / "migrated-to"
        at = _alembic_version(paths, pg_port, password)
        if at is None or not migrated.exists() or migrated.read_text().strip() != at:
            _migrate(paths, env, pg_uri)
            reached = _alembic_version(paths, pg_port, password)
            if reached:
                migrated.write_text(reached + "\n")
        mark = _took("migrations", mark)

        redis_port = free_port()
        (paths.home / "redis").mkdir(exist_ok=True)
        state["processes"]["redis"] = _spawn(
            paths,
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(paths.home / "redis"),
            ],
        )
        standin_port = free_port()
        here = Path(__file__).resolve().parent
        state["processes"]["anthropic-standin"] = _spawn(
            paths,
            "anthropic-standin",
            [sys.executable, "-u", str(here / "anthropic_standin.py"), str(standin_port)],
        )
        write_state(paths, state)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # Outside hosts are unreachable here, and a dropped connection hangs a run for minutes (tiktoken's
        # download, the free embedding endpoint): a proxy on a closed loopback port refuses them at once.
        nowhere = f"http://127.0.0.1:{free_port()}"
        env.update(
            HTTP_PROXY=nowhere,
            HTTPS_PROXY=nowhere,
            http_proxy=nowhere,
            https_proxy=nowhere,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            ANTHROPIC_BASE_URL=f"http://127.0.0.1:{standin_port}",
            LETTA_REDIS_HOST="127.0.0.1",
            LETTA_REDIS_PORT=str(redis_port),
        )
        letta = _spawn(
            paths,
            "letta",
            [str(paths.venv / "bin" / "letta"), "server", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=paths.scratch_home,
        )
        state["processes"]["letta"] = letta
        state.update(url=url, port=port, redis_port=redis_port, standin_port=standin_port)
        write_state(paths, state)
        _wait_health(url, letta)
        _took("server start", mark)
    except BaseException:
        _stop(paths, quiet=True)
        raise
    print(url)
    return 0


def _terminate(entry: dict[str, Any]) -> None:
    pid = int(entry["pid"])
    if not _alive(entry):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(entry):
        time.sleep(0.1)
    if _alive(entry):
        os.kill(pid, signal.SIGKILL)


def _stop(paths: Paths, quiet: bool = False) -> int:
    state = read_state(paths)
    if state is not None:
        for name in ("letta", "anthropic-standin", "redis"):
            if name in state["processes"]:
                _terminate(state["processes"][name])
    _stop_postgres(paths)
    paths.state_file.unlink(missing_ok=True)
    if not quiet:
        print("real-letta: stopped")
    return 0


def stop(paths: Paths) -> int:
    return _stop(paths)


def status(paths: Paths) -> int:
    state = read_state(paths)
    if state is None:
        print("real-letta: not running")
        return 1
    for name, entry in state["processes"].items():
        print(f"{name}: pid {entry['pid']} {'running' if _alive(entry) else 'gone'} (log: {entry['log']})")
    print(f"postgres: 127.0.0.1:{state.get('pg_port')} data {state['pg_data']}")
    print(f"url: {state.get('url')}")
    return 0 if all(_alive(e) for e in state["processes"].values()) else 1


def url(paths: Paths) -> int:
    state = read_state(paths)
    if state is None or "url" not in state:
        print("real-letta: not running; run scripts/real-letta start", file=sys.stderr)
        return 1
    print(state["url"])
    return 0


COMMANDS: dict[str, Callable[[Paths], int]] = {"start": start, "stop": stop, "status": status, "url": url}
