"""``reunite appeals``: publish appeals, print their posters and press kits, check a poster's code."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, Problem, ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

appeals_app = typer.Typer(help="Public appeals: publish, unpublish, posters (zh/en, A4/A3, PDF/PNG), press kits, "
                               "checking a poster's QR code.", no_args_is_help=True)

BaseUrl = Annotated[str | None, typer.Option("--base-url", help="The site's public address printed in the QR codes "
                                                                 "(default: $REUNITE_PUBLIC_URL).")]
Media = Annotated[Path | None, typer.Option("--media", help="Where the photos are (default: $REUNITE_MEDIA_DIR "
                                                            "or reunite-media).")]


def register(app: typer.Typer) -> None:
    """Add ``reunite appeals`` to ``app``."""
    app.add_typer(appeals_app, name="appeals")


def _base_url(given: str | None) -> str:
    from ..cases.appeals import PUBLIC_URL_ENV

    url = given or os.environ.get(PUBLIC_URL_ENV)
    if not url or not re.match(r"^https?://[^\s/]+", url):
        raise InputError(Problem(f"give the site's public address with --base-url (http:// or https://) or set "
                                 f"{PUBLIC_URL_ENV}: the posters' QR codes open it", field="base_url"))
    return url


def _split(text: str) -> list[str]:
    return [x.strip().lower() for x in text.split(",") if x.strip()] or [""]


@appeals_app.command("publish")
def publish_cmd(
    hotline: Annotated[str, typer.Option("--hotline", help="The phone number the public calls.")],
    child: Annotated[str | None, typer.Option("--child", help="Case number of the found child.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Number of the missing child's report (the family "
                                                                "agreed to publish).")] = None,
    photo: Annotated[int | None, typer.Option("--photo", help="Id of the approved photo (`reunite photos add`).")
                     ] = None,
    no_photo_reason: Annotated[str | None, typer.Option("--no-photo-reason", help="Without --photo: why there is "
                                                                                  "none (shown to the public).")
                               ] = None,
    facts: Annotated[str | None, typer.Option("--facts", help="Facts to publish, comma-separated, among sex, age, "
                                                              "place, date, description, marks, name (default: all "
                                                              "but name).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What the public reads about the "
                                                                          "child.")] = None,
    marks: Annotated[str | None, typer.Option("--marks", help="Marks to publish (default: the record's).")] = None,
    user: UserOpt = None,
):
    """Publish (or update and publish again) the appeal of a found child or of a missing child."""
    from ..cases.appeals import publish
    from ..cases.db import open_session
    from ..cases.importing import default_user

    try:
        with open_session() as s:
            a = publish(s, user=user or default_user(), hotline=hotline, case_number=child, report_number=report,
                        photo_id=photo, facts=_split(facts) if facts is not None else None,
                        description=description, marks=marks, no_photo_reason=no_photo_reason)
            typer.echo(f"appeal {a.id} published ({a.kind} child {a.case_reference}): {', '.join(a.facts)}")
    except ReuniteError as exc:
        fail(exc)


@appeals_app.command("unpublish")
def unpublish_cmd(appeal: Annotated[int, typer.Argument(help="The appeal's number.")], user: UserOpt = None):
    """Unpublish an appeal at once; the posters and press kits written for it are deleted."""
    from ..cases.appeals import set_published
    from ..cases.db import open_session
    from ..cases.importing import default_user

    try:
        with open_session() as s:
            a = set_published(s, appeal, False, user=user or default_user())
            typer.echo(f"appeal {a.id} unpublished; its posters are withdrawn")
    except ReuniteError as exc:
        fail(exc)


@appeals_app.command("list")
def list_cmd(
    place: Annotated[str | None, typer.Option("--place", help="In Chinese, pinyin or English (昆明, Kunming).")
                     ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en: the language of the place names.")] = "zh",
):
    """The published appeals as the public sees them (the place in Chinese or English)."""
    from ..cases.appeals import search
    from ..cases.db import open_session

    with open_session() as s:
        rows = search(s, place=place)
    for v in rows:
        where = (v.place_zh if lang == "zh" else v.place_en) or "-"
        now = f"{v.age_now_months / 12:.0f} y" if v.age_now_months is not None else "-"
        then = f"{v.age_then_months:.0f} mo" if v.age_then_months is not None else "-"
        typer.echo(f"{v.id}\t{v.kind}\t{v.sex or '-'}\tnow {now}\tthen {then}\t{where}\t{v.date or '-'}")
    typer.echo(f"{len(rows)} appeal(s)")


@appeals_app.command("poster")
def poster_cmd(
    appeal: Annotated[int, typer.Argument(help="The appeal's number.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the posters to.")] = Path("posters"),
    lang: Annotated[str, typer.Option("--lang", help="zh, en or zh,en")] = "zh,en",
    size: Annotated[str, typer.Option("--size", help="a4, a3 or a4,a3")] = "a4,a3",
    fmt: Annotated[str, typer.Option("--format", help="pdf, png or pdf,png")] = "pdf,png",
    base_url: BaseUrl = None,
    media: Media = None,
    user: UserOpt = None,
):
    """Write a published appeal's posters (appeal-ID-LANG-SIZE.FMT); they are deleted when it is unpublished."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.photos import media_dir
    from ..reports.poster import write_posters

    try:
        with open_session() as s:
            paths = write_posters(s, appeal, out, base_url=_base_url(base_url), media_dir=media_dir(media),
                                  user=user or default_user(), langs=_split(lang),
                                  sizes=_split(size), formats=_split(fmt))
    except ReuniteError as exc:
        fail(exc)
    for p in paths:
        typer.echo(str(p))
    typer.echo(f"{len(paths)} poster file(s) of appeal {appeal} written to {out}")


@appeals_app.command("press-kit")
def press_kit_cmd(
    appeal: Annotated[int, typer.Argument(help="The appeal's number.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the ZIP to.")] = Path("posters"),
    base_url: BaseUrl = None,
    media: Media = None,
    user: UserOpt = None,
):
    """Write a published appeal's press kit: a ZIP of every poster and a text in Chinese and English."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.photos import media_dir
    from ..reports.poster import write_press_kit

    try:
        with open_session() as s:
            path = write_press_kit(s, appeal, out, base_url=_base_url(base_url), media_dir=media_dir(media),
                                   user=user or default_user())
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"press kit of appeal {appeal} written to {path}")


@appeals_app.command("verify")
def verify_cmd(code: Annotated[str, typer.Argument(help="What a poster's QR code reads (its URL) or the token.")]):
    """Check a poster's QR code: genuine, superseded, withdrawn or forged (exit code 1 unless genuine)."""
    from ..cases.appeals import verify_token
    from ..cases.db import open_session
    from ..cases.signing import Signer

    m = re.search(r"/appeals/([0-9]+)\?(?:.*&)?poster=([^&#\s]+)", code)
    token, page = (m.group(2), int(m.group(1))) if m else (code.strip(), None)
    try:
        signer = Signer.from_env(needed_for="checking a poster")
        with open_session() as s:
            v = verify_token(s, token, page, signer=signer)
    except ReuniteError as exc:
        fail(exc)
    detail = {"genuine": f"published on {v.published_on}", "withdrawn": f"published on {v.published_on}, "
              "unpublished since", "superseded": f"published on {v.published_on}, replaced on {v.current_on}",
              "forged": "the signature does not match"}[v.status]
    if v.retired_key:
        detail += "; signed with a retired key of the key ring"
    typer.echo(f"{v.status}: appeal {v.appeal_id if v.appeal_id is not None else '?'} ({detail})")
    raise typer.Exit(0 if v.status == "genuine" else 1)
