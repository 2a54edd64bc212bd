"""Posters: what they print (pdftotext), their QR code read back from the PNG (zxing-cpp) and verified,
their sizes, the press kit, and their erasure when the appeal is unpublished or the family withdraws."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image
from sqlalchemy import select

from reunite.cases.appeals import poster_url, publish, set_published, verify_token
from reunite.cases.models import WrittenFile
from reunite.cases.privacy import erase_everywhere
from reunite.reports.poster import (
    FORMATS,
    LANGS,
    SIZES,
    load_poster,
    poster_files,
    press_kit,
    render_pdf,
    render_png,
    write_posters,
    write_press_kit,
)

from .conftest import ADDRESS, HOTLINE, signer

BASE = "https://reunite.example.cn"

pytestmark = pytest.mark.usefixtures("cjk_font")


@pytest.fixture
def backend():
    """SQLite only: the posters are drawn from the store the same way on both backends
    (test_appeals.py runs the store's side on both)."""
    return "sqlite"


def _appeal(store):
    return publish(store, user="inv", hotline=HOTLINE, case_number="KM-A", photo_id=store.info["photo"],
                   description="Rescued with ten other infants in February 2014.")


def _text(pdftotext, pdf: bytes, tmp_path: Path) -> str:
    f = tmp_path / "poster.pdf"
    f.write_bytes(pdf)
    return subprocess.run([pdftotext, "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout


def _qr(png: bytes) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp reads the QR codes (pip install -e '.[test]')")
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("lang", LANGS)
def test_a_poster_prints_the_public_facts_and_nothing_private(store, pdftotext, tmp_path, lang):
    a = _appeal(store)
    p = load_poster(store, a.id, base_url=BASE, media_dir=store.info["media"])
    text = _text(pdftotext, render_pdf(p, lang=lang), tmp_path)
    flat = " ".join(text.split())
    assert HOTLINE in flat
    assert ("云南省昆明市盘龙区" if lang == "zh" else "Panlong, Kunming, Yunnan (云南省昆明市盘龙区)") in flat
    assert ("13岁" if lang == "zh" else "about 13 years") in flat                # age now
    assert ("8个月" if lang == "zh" else "about 8 months") in flat               # age when found
    assert "Rescued with ten other infants" in flat
    # the marks typed "congenital glaucoma (left eye)" in the vocabulary's words of the poster's language
    if lang == "zh":
        assert "先天性青光眼（左眼睛）" in flat.replace(" ", "") and "glaucoma" not in flat
    else:
        assert "congenital glaucoma (left eye)" in flat
    assert f"{BASE}/appeals/{a.id}?poster=" in flat.replace(" ", "")
    # never the address, the case number, the care location, the sample or a genotype
    for private in (ADDRESS, "金星", "12号", "KM-A", "福利院", "S-A", "D3S1358", "vWA", "9.3"):
        assert private not in flat, private


def test_a_missing_childs_poster_says_missing_and_gives_the_reason_for_no_photo(store, pdftotext,
                                                                                  tmp_path):
    a = publish(store, user="inv", hotline=HOTLINE, report_number="R-Z",
                no_photo_reason="The family has no photo of him.")
    p = load_poster(store, a.id, base_url=BASE, media_dir=store.info["media"])
    zh = " ".join(_text(pdftotext, render_pdf(p, lang="zh"), tmp_path).split())
    en = " ".join(_text(pdftotext, render_pdf(p, lang="en"), tmp_path).split())
    assert "寻找失踪儿童" in zh and "走失时约" in zh and "云南省昭通市镇雄县" in zh
    assert "MISSING CHILD" in en and "No photo" in en and "The family has no photo of him." in en
    for private in ("坡头", "Li Wei", "+86 139", "R-Z", "Li Xiaoming"):       # the name was not chosen
        assert private not in zh + en, private


@pytest.mark.parametrize("size", SIZES)
def test_the_qr_code_read_from_the_png_opens_the_appeal_and_verifies(store, size):
    a = _appeal(store)
    p = load_poster(store, a.id, base_url=BASE, media_dir=store.info["media"])
    pdf = render_pdf(p, lang="zh", size=size)
    doc = pypdfium2.PdfDocument(pdf)
    w, h = doc[0].get_size()                                                  # points: 72 per inch
    doc.close()
    assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == tuple(round(x) for x in SIZES[size])
    png = render_png(pdf)
    px = Image.open(io.BytesIO(png)).size                                      # 150 dpi, to the pixel
    assert all(abs(n - mm / 25.4 * 150) < 1.01 for n, mm in zip(px, SIZES[size], strict=True))
    [url] = _qr(png)
    assert url == p.url and url.startswith(f"{BASE}/appeals/{a.id}?poster=")
    token = url.split("poster=")[1]
    assert verify_token(store, token, a.id, signer=signer()).status == "genuine"
    set_published(store, a.id, False, user="inv")
    assert verify_token(store, token, a.id, signer=signer()).status == "withdrawn"


def test_posters_are_registered_and_erased_when_unpublished(store, tmp_path):
    a = _appeal(store)
    paths = write_posters(store, a.id, tmp_path / "out", base_url=BASE, media_dir=store.info["media"], user="inv",
                          sizes=("a4",))
    kit = write_press_kit(store, a.id, tmp_path / "out", base_url=BASE, media_dir=store.info["media"], user="inv")
    assert sorted(p.name for p in paths) == sorted(f"appeal-{a.id}-{lang}-a4.{fmt}" for lang in LANGS
                                                   for fmt in FORMATS)
    rows = store.scalars(select(WrittenFile).where(WrittenFile.kind == "poster")).all()
    assert {Path(r.path) for r in rows} == {p.resolve() for p in [*paths, kit]}
    assert {r.appeal_id for r in rows} == {a.id}
    set_published(store, a.id, False, user="inv")
    assert not any(p.exists() for p in [*paths, kit])
    assert store.scalars(select(WrittenFile).where(WrittenFile.kind == "poster")).all() == []


def test_a_familys_withdrawal_erases_the_posters_of_its_appeal(store, tmp_path):
    found = _appeal(store)
    missing = publish(store, user="inv", hotline=HOTLINE, report_number="R-Z", no_photo_reason="no photo at all")
    mine = write_posters(store, missing.id, tmp_path / "m", base_url=BASE, media_dir=store.info["media"],
                         user="inv", sizes=("a4",), formats=("pdf",))
    other = write_posters(store, found.id, tmp_path / "f", base_url=BASE, media_dir=store.info["media"],
                          user="inv", sizes=("a4",), formats=("pdf",))
    erased = erase_everywhere(store, "R-Z", index_dir=tmp_path / "no-index")
    assert erased.posters == 2 and not any(p.exists() for p in mine)
    assert all(p.exists() for p in other)                                      # another appeal's are kept


def test_the_press_kit_has_every_poster_and_a_text_in_both_languages(store):
    a = _appeal(store)
    p = load_poster(store, a.id, base_url=BASE, media_dir=store.info["media"])
    with zipfile.ZipFile(io.BytesIO(press_kit(p))) as z:
        names = z.namelist()
        text = z.read(f"appeal-{a.id}-press-zh-en.txt").decode("utf-8")
        assert _qr(z.read(f"appeal-{a.id}-en-a3.png")) == [p.url]
    assert sorted(names) == sorted([n for n, *_ in poster_files(a.id)] + [f"appeal-{a.id}-press-zh-en.txt"])
    assert "寻找这个孩子的家人" in text and "DO YOU KNOW THIS CHILD'S FAMILY?" in text
    assert "特征: 先天性青光眼（左眼睛）" in text and "Marks: congenital glaucoma (left eye)" in text
    assert HOTLINE in text and p.url in text and "云南省昆明市盘龙区" in text and "Panlong, Kunming, Yunnan" in text
    assert ADDRESS not in text and "KM-A" not in text


def test_bad_poster_options_are_named(store, tmp_path):
    from reunite.errors import InputError

    a = _appeal(store)
    with pytest.raises(InputError) as exc:
        write_posters(store, a.id, tmp_path, base_url=BASE, media_dir=store.info["media"], user="inv",
                      langs=("fr",), sizes=("a5",))
    assert [p.field for p in exc.value.problems] == ["lang", "size"]
    assert not list(tmp_path.glob("appeal-*"))
    assert poster_url(BASE + "/", 3, "t") == f"{BASE}/appeals/3?poster=t"
