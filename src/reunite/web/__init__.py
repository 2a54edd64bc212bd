"""Reunite on the web: a FastAPI app with a JSON API (``/api/v1``) and server-rendered pages.

>>> from reunite.web import create_app            # doctest: +SKIP
>>> app = create_app("sqlite:///reunite.db")      # doctest: +SKIP
"""

from .app import create_app

__all__ = ["create_app"]
