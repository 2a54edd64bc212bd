"""Small CSV files of a Kunming-like case, and helpers to write files and compare tables."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


FOUND = """\
case_number,sex,age_months,age_sd_months,found_on,found_place,found_lat,found_lon,care_location,health_conditions,marks,ring_reference,sample
KM-001,male,8,1.5,2014-02-20,Kunming,25.04,102.71,Kunming nursery,,mole on left hand,KM-RING-2014,S-C1
KM-002,female,8,1.5,2014-02-20,Kunming,25.04,102.71,Kunming nursery,congenital glaucoma,,KM-RING-2014,S-C2
KM-003,female,7,2,2014-02-20,Kunming,,,Kunming nursery,,,KM-RING-2014,S-C3
"""

REPORTS = """\
report_number,child_name,sex,date_of_birth,disappeared_on,disappeared_place,circumstances,contact_name,contact_phone,multiple_missing
R-1,Li Ming,male,2013-06-01,2013-09-01,Zhaotong,sold by a relative,Li Wei,+86 100,0
R-2,Wang Fang,female,2013-06-10,2013-10-01,Qujing,taken from home,Wang Jun,+86 200,0
R-3,Zhang twins,female,2013-07-01,2013-08-15,Dali,twins taken together,Zhang Hua,+86 300,1
"""

PROFILES = """\
sample,marker,allele1,allele2
S-C1,D3S1358,15,16
S-C1,vWA,17,18
S-C1,TH01,9.3,9.3
S-C1,AMEL,X,Y
S-F1,D3S1358,15,15
S-F1,vWA,17,17
S-F1,TH01,9.3,6
S-M1,D3S1358,16,17
S-M1,vWA,18,19
S-M1,TH01,9.3,
"""

FAMILIES = """\
family,id,father,mother,sex,sample,missing
R-1,F,,,male,S-F1,0
R-1,M,,,female,S-M1,0
R-1,C,F,M,male,,1
R-2,M2,,,female,S-M2,0
R-2,F2,,,male,,0
R-2,C2,F2,M2,female,,1
"""


def snapshot(session, *tables: str) -> dict[str, list[tuple]]:
    """Every row of the given tables (all data tables by default), to compare before and after."""
    from sqlalchemy import select

    from reunite.cases.models import Base

    names = tables or [t for t in Base.metadata.tables if t != "audit_log"]
    session.expire_all()
    out = {}
    for name in names:
        t = Base.metadata.tables[name]
        out[name] = [tuple(r) for r in session.execute(select(t).order_by(*t.primary_key.columns))]
    session.rollback()
    return out
