"""Run the real open-source Letta server (PyPI letta 0.16.8) on loopback, for the conformance session.

Our own tooling, outside the `mockserver` package: it installs the server into a cached virtualenv outside
the checkout and starts PostgreSQL (pgserver's binaries), Redis, an Anthropic stand-in and the server.
"""
