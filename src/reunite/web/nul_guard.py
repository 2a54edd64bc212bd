"""Refuse NUL characters in request values before any handler sees them.

PostgreSQL text cannot hold a NUL (``\\x00``), SQLite stores it and cuts it off in places, and no
name, number or filter a person types contains one.  :class:`NulGuard` is an ASGI middleware that
answers 400 with the JSON error shape, naming the field (never echoing its value), when a NUL is in:
the path, a query parameter (name or value), an urlencoded or multipart form field (uploaded files
are not text and are not checked), or a string anywhere in a JSON body.

Bodies are read up to ``max_body`` bytes to be checked and then replayed to the application; a
larger body is passed through unchecked (the size limit refuses it later).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from .access import WebError
from .responses import error_response

__all__ = ["NulGuard", "nul_field"]


def nul_field(value: object, name: str = "body") -> str | None:
    """The name (dotted path) of the first string holding a NUL in a decoded JSON ``value``, else None."""
    if isinstance(value, str):
        return name if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in str(k):
                return name
            found = nul_field(v, f"{name}.{k}" if name != "body" else str(k))
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = nul_field(v, f"{name}[{i}]")
            if found:
                return found
    return None


def _refusal(scope, field: str):
    """The 400 in the one error shape: JSON for the API, the error page for a browser."""
    message = f"{field} contains a NUL character (byte 0), which no text field may hold; remove it"
    problems = [{"file": None, "line": None, "field": field, "message": message}]
    if "session" in scope:
        request = Request(scope)
        request.state.viewer = None
        return error_response(request, WebError(400, "invalid", message, problems))
    return JSONResponse({"error": {"code": "invalid", "message": message, "problems": problems}}, status_code=400)


class NulGuard:
    """ASGI middleware: 400 for a NUL in any text value of an HTTP request (see the module docstring)."""

    def __init__(self, app, max_body: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = self._in_url(scope)
        if field:
            await _refusal(scope, field)(scope, receive, send)
            return
        ctype = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1").lower()
        checked = ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data", "application/json"))
        if not checked or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        messages, body, complete = [], b"", True
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                complete = False
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
            if len(body) > self.max_body:
                complete = False
                break

        def replay():
            pending = list(messages)

            async def _receive():
                return pending.pop(0) if pending else await receive()
            return _receive

        if complete:
            field = await self._in_body(scope, ctype, body, replay())
            if field:
                await _refusal(scope, field)(scope, receive, send)
                return
        await self.app(scope, replay(), send)

    @staticmethod
    def _in_url(scope) -> str | None:
        if "\x00" in scope.get("path", "") or b"%00" in (scope.get("raw_path") or b""):
            return "path"
        query = (scope.get("query_string") or b"").decode("latin-1")
        if "%00" in query or "\x00" in query:
            for name, value in parse_qsl(query, keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    return unquote(name).replace("\x00", "") or "query"
            return "query"
        return None

    @staticmethod
    async def _in_body(scope, ctype: str, body: bytes, receive) -> str | None:
        if ctype.startswith("application/json"):
            if b"\x00" not in body and b"\\u0000" not in body.lower():
                return None
            try:
                return nul_field(json.loads(body)) or "body"
            except ValueError:
                return "body"
        if ctype.startswith("application/x-www-form-urlencoded"):
            if b"%00" not in body and b"\x00" not in body:
                return None
            for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    return name.replace("\x00", "") or "body"
            return "body"
        if b"\x00" not in body:
            return None
        try:
            form = await Request(scope, receive).form()
        except Exception:
            return None  # a malformed form is the application's to refuse
        try:
            for name, value in form.multi_items():
                if "\x00" in name or (not isinstance(value, UploadFile) and "\x00" in value):
                    return name.replace("\x00", "") or "body"
        finally:
            await form.close()
        return None
