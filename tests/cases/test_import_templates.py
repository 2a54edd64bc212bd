"""The templates to download are what the importer reads: built from its column lists, and every
template imports into an empty store as it is (on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

import pytest

from reunite.cases import import_families, import_found, import_profiles, import_reports, importing
from reunite.cases.import_templates import TEMPLATE_KINDS, import_template, template_columns
from reunite.errors import InputError
from reunite.search.io import FAMILY_COLUMNS, PROFILE_COLUMNS


def _rows(kind):
    return list(csv.reader(io.StringIO(import_template(kind).lstrip("\ufeff"))))


def test_the_headers_are_the_importers_columns():
    assert _rows("found")[0] == importing.FOUND_COLUMNS
    assert _rows("reports")[0] == importing.REPORT_COLUMNS
    profiles = _rows("profiles")[0]
    assert profiles[:4] == list(PROFILE_COLUMNS) and set(importing.SAMPLE_COLUMNS) <= set(profiles)
    assert _rows("families")[0][:7] == list(FAMILY_COLUMNS)
    for kind in TEMPLATE_KINDS:
        assert template_columns(kind) == _rows(kind)[0] and len(_rows(kind)) >= 2
    with pytest.raises(InputError):
        template_columns("genotypes")


def test_every_template_imports_as_it_is(session, tmp_path):
    def write(kind):
        p = tmp_path / f"{kind}.csv"
        p.write_text(import_template(kind), encoding="utf-8")
        return p

    assert import_found(session, write("found")).added == 1
    assert import_reports(session, write("reports")).added == 1
    assert import_profiles(session, write("profiles"), lab="Kunming PSB lab").added == 1
    assert import_families(session, write("families")).added == 1
