"""CSV templates to download, one per import kind: the header the importer reads and example rows.

The header is built from the importer's own column lists (:data:`~reunite.cases.importing.FOUND_COLUMNS`,
``REPORT_COLUMNS``, ``PROFILE_COLUMNS`` + ``SAMPLE_COLUMNS``, ``FAMILY_COLUMNS`` + the consent
columns), never written out a second time; only the example values are here, and the tests import
every template into an empty store, so a template the importer would refuse cannot ship.  The
examples are made up (no real person): a found child and a report of the Kunming case's kind, a
father and mother typed for that report, the child missing.
"""

from __future__ import annotations

import csv
import io

from ..errors import InputError, Problem
from .importing import FAMILY_COLUMNS, FAMILY_OPTIONAL, FOUND_COLUMNS, PROFILE_COLUMNS, REPORT_COLUMNS, SAMPLE_COLUMNS

__all__ = ["TEMPLATE_KINDS", "import_template", "template_columns"]

#: The import kinds with a template, as the web imports page and API name them.
TEMPLATE_KINDS = ("found", "reports", "profiles", "families")

_COLUMNS = {"found": list(FOUND_COLUMNS), "reports": list(REPORT_COLUMNS),
            "profiles": [*PROFILE_COLUMNS, *SAMPLE_COLUMNS], "families": [*FAMILY_COLUMNS, *FAMILY_OPTIONAL]}

# Example values by column (a column without one is left empty in the example rows).
_EXAMPLES: dict[str, list[dict[str, str]]] = {
    "found": [{"case_number": "KM-2014-001", "sex": "male", "age_months": "8", "age_sd_months": "1.5",
               "found_on": "2014-02-20", "found_place": "云南省昆明市", "found_lat": "25.04", "found_lon": "102.71",
               "care_location": "昆明市儿童福利院", "health_conditions": "", "marks": "mole on the left hand",
               "ring_reference": "KM-RING-2014", "sample": "S-KM-001", "cohort": "KM-2014"}],
    "reports": [{"report_number": "R-2013-001", "child_name": "李明", "sex": "male", "date_of_birth": "2013-06-01",
                 "disappeared_on": "2013-09-01", "disappeared_place": "云南省昭通市",
                 "circumstances": "taken from home",
                 "contact_name": "李伟", "contact_phone": "+86 138 0000 0000", "multiple_missing": "0",
                 "suspected_of_sale": "0", "other_children": "female 2010"}],
    "profiles": [{"sample": "S-F-001", "marker": "D3S1358", "allele1": "15", "allele2": "16",
                  "kit": "Identifiler Plus", "typed_on": "2014-03-10", "sample_kind": "buccal_swab",
                  "collected_on": "2014-03-01", "collected_by": "officer 1021", "sealed_by": "officer 1021",
                  "received_by": "analyst 07", "received_on": "2014-03-03"},
                 {"sample": "S-F-001", "marker": "vWA", "allele1": "17", "allele2": "18"},
                 {"sample": "S-F-001", "marker": "TH01", "allele1": "9.3", "allele2": "9.3"}],
    "families": [{"family": "R-2013-001", "id": "F", "father": "", "mother": "", "sex": "male", "sample": "S-F-001",
                  "missing": "0", "consent": "1", "consent_scope": "this_report"},
                 {"family": "R-2013-001", "id": "M", "father": "", "mother": "", "sex": "female", "sample": "",
                  "missing": "0", "consent": "", "consent_scope": ""},
                 {"family": "R-2013-001", "id": "C", "father": "F", "mother": "M", "sex": "male", "sample": "",
                  "missing": "1", "consent": "", "consent_scope": ""}],
}


def _check(kind: str) -> None:
    if kind not in TEMPLATE_KINDS:
        raise InputError(Problem(f"kind must be one of {', '.join(TEMPLATE_KINDS)}", field="kind"))


def template_columns(kind: str) -> list[str]:
    """The columns of ``kind``'s file, in the importer's order (required ones first)."""
    _check(kind)
    return list(_COLUMNS[kind])


def import_template(kind: str) -> str:
    """``kind``'s template as CSV text: the header and the example rows (UTF-8, with a BOM so that
    spreadsheet programs open the Chinese examples right; the importer reads it)."""
    cols = template_columns(kind)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for row in _EXAMPLES[kind]:
        w.writerow([row.get(c, "") for c in cols])
    return "\ufeff" + out.getvalue()
