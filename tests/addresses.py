"""This machine's addresses other than loopback: where tests bind a mock to be called "from elsewhere"."""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
from contextlib import suppress


def _bindable(host: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (from ``ip -4 addr``, else the host name)."""
    found: list[str] = []
    with suppress(OSError, subprocess.SubprocessError):
        listing = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=5
        )
        found += re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", listing.stdout)
    with suppress(OSError):
        found.append(socket.gethostbyname(socket.gethostname()))
    for address in found:
        if not ipaddress.ip_address(address).is_loopback and _bindable(address):
            return address
    return None
