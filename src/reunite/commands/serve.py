"""``reunite serve``: run the web application (:func:`reunite.web.server.serve`)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``reunite serve`` to ``app``."""
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    media: Annotated[str | None, typer.Option("--media", help="Photo folder (default $REUNITE_MEDIA_DIR).")] = None,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Send the session cookie over plain HTTP (localhost without TLS only).")] = False,
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after web imports.")]
    = False,
):
    """Run the web application (staff pages, family portal, public appeals, JSON API at /api/v1).

    The store is $REUNITE_DATABASE_URL (default reunite.db); set $REUNITE_SECRET_KEY so sessions
    survive a restart.  Behind TLS keep the default secure cookies."""
    from ..web.server import serve as run_server

    run_server(host, port, media_dir=media, secure_cookies=not insecure_cookies, match_after_import=not no_match)
