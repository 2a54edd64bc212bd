"""Unexpected errors answered with the one 500 shape and logged without request values.

Starlette's outermost middleware answers an unhandled exception and then raises it again so that the
server logs its traceback; an exception's text and a traceback's frames may hold what was submitted
(a name, a genotype).  :class:`QuietErrors` sits inside it and catches the exception first: it logs
the method, the path and the exception's type only, and answers 500 in the one error shape.  A store
busy with another writer past its busy timeout (SQLite while an import's matching writes;
:func:`reunite.cases.db.store_busy`) is not an internal error: 503 ``busy`` with ``Retry-After``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..cases.db import store_busy
from .access import WebError
from .responses import error_response

__all__ = ["QuietErrors"]

log = logging.getLogger("reunite.web")

_MESSAGE = "an internal error occurred; it has been logged"
_BUSY = "the store is busy (an import or a matching is writing to it); try again in a few seconds"


class QuietErrors:
    """ASGI middleware: an unhandled exception becomes a 500 and one log line without values."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def _send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception as exc:
            if store_busy(exc):
                # Another writer (an import's matching on SQLite) held the store past the busy timeout.
                log.warning("store busy on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__)
                err = WebError(503, "busy", _BUSY, headers={"Retry-After": "10"})
            else:
                log.error("internal error on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__)
                err = WebError(500, "internal", _MESSAGE)
            if started:
                return
            if "session" in scope:
                request = Request(scope)
                request.state.viewer = None
                response = error_response(request, err)
            else:
                response = JSONResponse({"error": {"code": err.code, "message": err.message, "problems": []}},
                                        status_code=err.status, headers=err.headers)
            await response(scope, receive, send)
