"""Reunite's exceptions.

Every exception class of Reunite derives from :class:`ReuniteError`; those defined beside the
code that raises them are listed with their module::

    ReuniteError
    ├── InputError (also ValueError)   bad input from a user or file (collects every problem found)
    │   ├── MarkerError                unknown marker name, malformed allele, more than two alleles
    │   │   └── HaplotypeError         a Y-STR or mtDNA haplotype that cannot be read (locus, allele,
    │   │                              variant, range) (reunite.genetics.haplotype)
    │   ├── FrequencyError             a frequency table that cannot be used as given
    │   ├── PedigreeError              unknown parent, cycle, wrong-sex parent, missing member not present
    │   ├── MutationError              a mutation model that cannot be built for a marker
    │   ├── NotFoundError              a record asked for by its number or code is not in the store
    │   │                              (the web answers 404)
    │   └── WorkflowError              a review step the workflow does not allow
    │                                  (reunite.cases.workflow)
    ├── InconsistencyError             data that no hypothesis can explain (e.g. a family inconsistent
    │                                  with itself at a marker even allowing for mutation)
    ├── SchemaError                    the database schema is missing or older than this version
    │                                  (reunite.cases.db)
    ├── MissingFontError (also FileNotFoundError)
    │                                  no CJK font for a PDF report; says what to install
    │                                  (reunite.reports.fonts)
    ├── AlertError                     an alert subscription or sending that cannot be done as asked
    │                                  (reunite.alerts.subscriptions)
    ├── SigningKeyMissing              no signing key where one is needed (posters, links, tokens);
    │                                  says which variable to set (reunite.cases.signing)
    ├── NotifyError                    a notification that cannot be sent as configured
    │   │                              (reunite.notify.channels)
    │   └── ChannelNotConfigured       a channel used without its configuration (names the variables)
    └── WebError                       an HTTP error answered in the API's one JSON error shape, with
                                       its status and code (reunite.web.access)

(``reunite.search.columnar`` also has a private ``_Irregular(ReuniteError)`` that never leaves it:
the columnar reader raises it to hand a file over to the exact readers; ``reunite.notify.fleet``
has a private ``_Reply(ReuniteError)``, an SMTP reply that abandons one transaction, caught there.)
The second bases are kept because callers catch them: ``except ValueError`` around parsing, ``except
FileNotFoundError`` where a font is optional.

Messages say what is wrong, which value (a marker, a person id, a file, line and field) and how
to fix it.  They never contain names of children or families, nor genotypes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FrequencyError",
    "InconsistencyError",
    "InputError",
    "MarkerError",
    "MutationError",
    "NotFoundError",
    "PedigreeError",
    "Problem",
    "ReuniteError",
]


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong.

    ``message`` is the English text (the CLI, the logs and the API's ``message``).  ``code`` names the
    kind of problem and ``params`` the values its words need (column names, counts, markers, the kind
    of value expected; never the personal value itself), so that a page in another language says it in
    its own words: the web's catalogues hold ``problem.<code>`` (docs/i18n.md).  A problem without a
    code is shown in English everywhere.
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    code: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return (": ".join([", ".join(where), self.message])) if where else self.message

    def as_dict(self) -> dict:
        """``{file, line, field, message}``, with ``code`` and ``params`` when the problem has a code."""
        out = {"file": self.file, "line": self.line, "field": self.field, "message": self.message}
        if self.code is not None:
            out["code"], out["params"] = self.code, dict(self.params)
        return out

    def where(self, *, file: str | None = None, line: int | None = None, field: str | None = None,
              message: str | None = None, **params: Any) -> Problem:
        """The same problem placed (file, line, field given replace the ones it had), its message
        rewritten if ``message`` is given, with more ``params``."""
        return dataclasses.replace(self, file=file if file is not None else self.file,
                                   line=line if line is not None else self.line,
                                   field=field if field is not None else self.field,
                                   message=message if message is not None else self.message,
                                   params={**self.params, **params})


class ReuniteError(Exception):
    """Root of every error Reunite raises on purpose."""


class InputError(ReuniteError, ValueError):
    """Input that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: str | Problem | Iterable[Problem | str]):
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        ]
        if not self.problems:
            self.problems = [Problem("invalid input")]
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = f"{len(self.problems)} problems:\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(text)


class MarkerError(InputError):
    """A marker name or an allele that cannot be used."""


class FrequencyError(InputError):
    """A frequency table that cannot be used as given."""


class PedigreeError(InputError):
    """A pedigree that is not a valid family tree."""


class MutationError(InputError):
    """A mutation model that cannot be built for a marker."""


class NotFoundError(InputError):
    """A record asked for by its number or code (a found child, an appeal, a sample) is not in the store."""


class InconsistencyError(ReuniteError):
    """Data that is impossible under every hypothesis considered."""
