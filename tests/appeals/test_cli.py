"""``reunite appeals``: publish, poster, press-kit, verify and unpublish, end to end on a SQLite store."""

from __future__ import annotations

import pytest

from cases.helpers import write
from reunite.cli import main

from .conftest import FOUND, HOTLINE, photo_bytes


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{tmp_path / 'reunite.db'}")
    monkeypatch.setenv("REUNITE_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("REUNITE_USER", "inv")
    monkeypatch.delenv("REUNITE_PUBLIC_URL", raising=False)
    assert main(["import", "found", str(write(tmp_path / "found.csv", FOUND))]) == 0
    (tmp_path / "p.png").write_bytes(photo_bytes())
    assert main(["photos", "add", str(tmp_path / "p.png"), "--child", "KM-A"]) == 0
    return tmp_path


def test_publish_print_verify_and_withdraw(cli_store, capsys, cjk_font):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp reads the QR codes (pip install -e '.[test]')")
    from PIL import Image

    out = cli_store / "posters"
    assert main(["appeals", "publish", "--child", "KM-A", "--hotline", HOTLINE, "--photo", "1",
                 "--facts", "sex,age,place,marks"]) == 0
    assert "appeal 1 published (found child KM-A): sex, age, place, marks" in capsys.readouterr().out
    assert main(["appeals", "list", "--place", "kunming", "--lang", "en"]) == 0
    listed = capsys.readouterr().out
    assert "Panlong, Kunming, Yunnan" in listed and "now 13 y" in listed and "then 8 mo" in listed
    assert main(["appeals", "poster", "1", "--out", str(out), "--lang", "zh", "--size", "a4"]) == 2
    assert "--base-url" in capsys.readouterr().err                        # no public address: refused, named
    assert main(["appeals", "poster", "1", "--out", str(out), "--lang", "zh", "--size", "a4",
                 "--base-url", "https://reunite.example.cn"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["appeal-1-zh-a4.pdf", "appeal-1-zh-a4.png"]
    [url] = [r.text for r in zxingcpp.read_barcodes(Image.open(out / "appeal-1-zh-a4.png"))]
    capsys.readouterr()
    assert main(["appeals", "verify", url]) == 0
    assert capsys.readouterr().out.startswith("genuine: appeal 1 (published on ")
    assert main(["appeals", "verify", url[:-2] + "xx"]) == 1
    assert capsys.readouterr().out.startswith("forged")
    assert main(["appeals", "unpublish", "1"]) == 0
    assert list(out.iterdir()) == []                                      # the posters are erased
    assert main(["appeals", "verify", url]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("withdrawn: appeal 1")


def test_publishing_without_photo_or_reason_names_the_fields(cli_store, capsys):
    assert main(["appeals", "publish", "--child", "KM-B", "--hotline", "call me"]) == 2
    err = capsys.readouterr().err
    assert "hotline" in err and "no_photo_reason" in err
    assert main(["appeals", "publish", "--child", "KM-B", "--hotline", "110", "--facts", "sex,shoe"]) == 2
    assert "shoe" in capsys.readouterr().err


def test_without_the_secret_key_no_poster_is_printed_nor_checked(cli_store, capsys, monkeypatch):
    assert main(["appeals", "publish", "--child", "KM-A", "--hotline", HOTLINE, "--photo", "1"]) == 0
    monkeypatch.delenv("REUNITE_SECRET_KEY")
    assert main(["appeals", "poster", "1", "--out", str(cli_store / "p"), "--base-url", "https://r.example.cn"]) == 2
    assert "REUNITE_SECRET_KEY is not set" in capsys.readouterr().err
    assert not (cli_store / "p").exists() or not list((cli_store / "p").iterdir())
    assert main(["appeals", "verify", "1.abc.AAAAAAAAAAAAAAAA"]) == 2
    assert "REUNITE_SECRET_KEY is not set" in capsys.readouterr().err
