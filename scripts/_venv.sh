# Sourced by scripts/*: create or reuse the project's virtualenv and install what is needed.
# Usage: . scripts/_venv.sh <extra>   (extra: "serve" installs the package, "test" adds test tools)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LETTA_MOCK_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
# The newest letta-client (runs only) cannot share a venv with 1.7.0 (batches); it is installed
# beside it and put on PYTHONPATH by tests/test_sdk_latest.py.
SDK_LATEST="letta-client==1.12.1"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "letta-mockserver needs Python 3.11 or newer as '$PYTHON'" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv in $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade "pip>=24" >&2
fi

_hash="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/_venv.sh" | "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
_want="${1:-serve}"
if [ ! -f "$VENV/.installed-test-$_hash" ] && { [ "$_want" = test ] || [ ! -f "$VENV/.installed-serve-$_hash" ]; }; then
  if [ "$_want" = test ]; then
    echo "installing letta-mockserver with its test extras" >&2
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test]" >&2
    rm -rf "$VENV/sdk-latest"
    "$VENV/bin/python" -m pip install --quiet --no-deps --target "$VENV/sdk-latest" "$SDK_LATEST" >&2
  else
    echo "installing letta-mockserver" >&2
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT" >&2
  fi
  rm -f "$VENV"/.installed-*
  touch "$VENV/.installed-$_want-$_hash"
fi
# The dashboard's browser tests (tests/ui) drive the system's chromium through Playwright, which
# never downloads a browser of its own here. Installed once, when missing, for the test extra.
if [ "$_want" = test ] && [ -z "${LETTA_MOCK_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing chromium (Debian package) for the dashboard's browser tests" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  else
    echo "warning: no /usr/bin/chromium; install Debian's chromium package for tests/ui" \
      "(they skip without it, and fail under CI=true)" >&2
  fi
fi
export LETTA_SDK_LATEST_DIR="${LETTA_SDK_LATEST_DIR:-$VENV/sdk-latest}"
