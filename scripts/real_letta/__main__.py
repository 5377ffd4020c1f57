"""`scripts/real-letta start|stop|status|url|install`."""

from __future__ import annotations

import sys

from .common import Paths, StepError


def main(argv: list[str]) -> int:
    usage = "usage: scripts/real-letta start|stop|status|url|install"
    if len(argv) != 1 or argv[0] not in {"start", "stop", "status", "url", "install"}:
        print(f"real-letta: unknown command {' '.join(argv)!r}; {usage}", file=sys.stderr)
        return 2
    paths = Paths.from_env()
    try:
        if argv[0] == "install":
            from .install import install

            install(paths)
            return 0
        from . import services

        return services.COMMANDS[argv[0]](paths)
    except StepError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:  # a directory that cannot be made, a file that cannot be written
        print(f"real-letta: {argv[0]} failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
