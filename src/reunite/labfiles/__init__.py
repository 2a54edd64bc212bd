"""The files labs really exchange, read and written: a pure module beside the layers (it imports
:mod:`reunite.genetics` only; no store, no web).

==============  ==========================================  =====================================
module          format                                      functions
==============  ==========================================  =====================================
genemapper      GeneMapper ID-X Genotypes table (TSV)       :func:`read_genemapper`
familias        Familias 3 ``.fam`` case                     :func:`read_fam`, :func:`write_fam`
cmf             CODIS CMF 3.2 XML (specimen profiles)        :func:`read_cmf`, :func:`write_cmf`,
                                                            :func:`validate_cmf`
empop           EMPOP ``.emp`` mtDNA haplotype table         :func:`read_emp`
pedtools        R pedsuite ped data frame, frequencies, R    :func:`export_pedtools`
_common         Reunite's profiles CSV (docs/formats.md)     :func:`read_profiles_csv`,
                                                            :func:`write_profiles_csv`
==============  ==========================================  =====================================

Every reader is all-or-nothing: it returns its result or raises :class:`~reunite.errors.InputError`
carrying every problem found (file, line, field, and the sample and marker in the message).
Every writer writes its file whole (a temporary file renamed), so a failed export leaves nothing.
docs/labfiles.md says what each format supports and which published descriptions were followed.
"""

from ._common import ConversionResult, SampleProfile, read_profiles_csv, write_profiles_csv
from .cmf import cmf_text, read_cmf, validate_cmf, write_cmf
from .empop import emp_text, read_emp, write_emp
from .familias import FamiliasCase, fam_text, read_fam, write_fam
from .genemapper import read_genemapper
from .pedtools import export_pedtools, pedtools_files

__all__ = [
    "ConversionResult",
    "FamiliasCase",
    "SampleProfile",
    "cmf_text",
    "emp_text",
    "export_pedtools",
    "fam_text",
    "pedtools_files",
    "read_cmf",
    "read_emp",
    "read_fam",
    "read_genemapper",
    "read_profiles_csv",
    "validate_cmf",
    "write_cmf",
    "write_emp",
    "write_fam",
    "write_profiles_csv",
]
