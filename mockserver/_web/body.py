"""A request's body, read with the body limit: the API's and the control API's endpoints and the proxy's."""

from __future__ import annotations

import tempfile
from typing import IO

from starlette.requests import ClientDisconnect, Request

from mockserver._contract.errors import MAX_BODY_BYTES, BadRequest, BodyTooLarge

_SPOOL_BYTES = 4 * 1024 * 1024


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit``: from ``Content-Length``
    before reading anything, or by counting a chunked body as it arrives."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length header is not a number: {declared!r}") from None
        if size > limit:
            raise BodyTooLarge(size)
    # Past a few MiB the body goes to a temporary file: a body that turns out too large is
    # refused without having been held in memory (only one under the limit is read back).
    # The ASGI messages are read here, not through `request.stream()`: most bodies come in one
    # message, and the generator around `receive` cost more than the rest of this function.
    received = 0
    chunks: list[bytes] = []
    spool: IO[bytes] | None = None
    try:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk: bytes = message.get("body", b"")
            more = message.get("more_body", False)
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge(received)
            if not more and not chunks and spool is None:
                return chunk
            if spool is None and received > _SPOOL_BYTES:
                spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in `finally`)
                spool.writelines(chunks)
                chunks.clear()
            if spool is not None:
                spool.write(chunk)
            elif chunk:
                chunks.append(chunk)
            if not more:
                break
        if spool is None:
            return b"".join(chunks)
        spool.seek(0)
        return spool.read()
    except ClientDisconnect:  # nobody to answer: journaled as a 400, not logged as an internal error
        raise BadRequest(f"the client disconnected after sending {received} bytes of the body") from None
    finally:
        if spool is not None:
            spool.close()
