"""The tables of the case store, as SQLAlchemy 2 typed models.

Natural keys (what people write on forms and in files) are unique columns: a found child's
``case_number``, a report's ``report_number``, a DNA sample's ``sample``, a user's ``name``.
Imports match on them, which is what makes importing the same file twice change nothing.

Samples are referred to by their code (``FoundChild.sample``, ``PedigreeMember.sample``,
``Relative.sample``), not by a foreign key: a swab is labelled when it is taken, and the
lab's profile may arrive before or after the child or the family is registered.

Enumerations are short strings guarded by CHECK constraints (portable across SQLite and
PostgreSQL, and easy to migrate); their allowed values are the tuples below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import select as sa_select
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ..evidence.registry import label as evidence_label
from ..evidence.registry import order_of

__all__ = [
    "CANDIDATE_STATUSES",
    "CODE_PURPOSES",
    "DNA_DECISIONS",
    "FOUND_KINDS",
    "IMPORT_OUTCOMES",
    "LINEAGE_KINDS",
    "OUTCOMES",
    "REPORT_STATUSES",
    "ROLES",
    "SAMPLE_KINDS",
    "SEXES",
    "Appeal",
    "AuditEntry",
    "Base",
    "Candidate",
    "CandidateEvidence",
    "Cohort",
    "CohortSolution",
    "DnaSample",
    "FoundChild",
    "FrequencyTableContent",
    "ImportRun",
    "Laboratory",
    "LineageDatabase",
    "MissingReport",
    "PedigreeMember",
    "PhoneCode",
    "Photo",
    "Relative",
    "ReportKinship",
    "ReportOtherChild",
    "Review",
    "StoreState",
    "Tip",
    "User",
    "WithdrawalReason",
    "WrittenFile",
    "utcnow",
]

SEXES = ("male", "female", "unknown")
ROLES = ("investigator", "lab_analyst", "caseworker", "family", "public", "admin")
CANDIDATE_STATUSES = ("new", "under_review", "confirmation_requested", "confirmed", "excluded", "closed")
#: How an import run ended (:class:`ImportRun`): ``done``; ``failed`` (nothing stored); ``stored`` (the
#: rows were stored, then the matching after it failed and is owed).
IMPORT_OUTCOMES = ("done", "failed", "stored")
OUTCOMES = ("reunited", "referred_for_investigation", "placed_in_care")
REPORT_STATUSES = ("open", "closed")
#: What a DNA sample is (the import's ``sample_kind``); printed in the lab report's chain of custody.
SAMPLE_KINDS = ("blood_card", "buccal_swab", "blood", "hair", "tissue", "bone", "tooth", "other")
#: What a found-child record is: a child found or rescued (``found``), or a teenager or adult who believes
#: they were taken as a child and registered themselves to search for their family (``self_registered``, 寻家).
FOUND_KINDS = ("found", "self_registered")
#: What a verification code sent to a phone is for.
CODE_PURPOSES = ("register", "reset")
#: The lineage markers a reference database may hold: Y-STR haplotypes (``y``) or mtDNA sequences (``mt``).
LINEAGE_KINDS = ("y", "mt")
#: The decisions of :mod:`reunite.genetics.rules` a candidate's DNA conclusion may hold.
DNA_DECISIONS = ("support", "exclusion", "inconclusive", "no_decision")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time in UTC, without tzinfo (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names follow :data:`NAMING`."""

    metadata = MetaData(naming_convention=NAMING)


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class User(Base):
    """Someone who acts in the system; every decision names one."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: An argon2 hash (never the password); None: the user cannot log in to the web application.
    password_hash: Mapped[str | None] = mapped_column(Text)
    #: A disabled user cannot log in, and their sessions and tokens stop working at once.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    #: The unit a user works in; a caseworker sees the found children whose ``care_location`` is it.
    unit: Mapped[str | None] = mapped_column(Text)
    #: Carried by every session cookie; bumped at logout, so a saved cookie stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A staff account created by an admin in the web application waits for a second admin's approval
    #: (the name of the admin who asked); it cannot log in until then.  None: approved.
    pending_approval_by: Mapped[str | None] = mapped_column(String(100))
    #: A family's mobile number (normalised: 11 digits, :func:`reunite.cases.accounts.normalise_phone`);
    #: they log in with it.  An account with a phone cannot log in until ``phone_verified_at`` is set
    #: (a code sent to the phone was typed back).
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The name the account shows (any script: 陈秀英); ``name`` stays the ASCII user name the audit log uses.
    display_name: Mapped[str | None] = mapped_column(String(100))


class PhoneCode(Base):
    """A verification code sent to a user's phone (registration or password reset).  Only a hash of
    the code is stored; it expires, counts wrong attempts and is used once."""

    __tablename__ = "phone_codes"
    __table_args__ = (CheckConstraint(_in("purpose", CODE_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token of the API, listed and revocable by its owner and by an admin (never the token
    itself: its random ``token_id`` is signed into it)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()


class FoundChild(_Stamped, Base):
    """A child of unknown origin found or rescued (by the police, a welfare office ...).

    The age is an estimate (``age_months`` with standard deviation ``age_sd_months``) made on
    ``age_assessed_on`` (by default the day the child was found).

    ``kind`` ``self_registered`` is a teenager or adult who believes they were taken as a child and
    registered themselves (寻家, :mod:`reunite.cases.selfsearch`): ``account_id`` is their account,
    ``memories`` what they remember (names, places, dates, in their words), ``dna_consent_at`` when
    they agreed to give DNA.  They are matched like every found child.
    """

    __tablename__ = "found_children"
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        CheckConstraint(_in("kind", FOUND_KINDS), name="kind"),
        CheckConstraint("age_months IS NULL OR age_months >= 0", name="age"),
        CheckConstraint("age_sd_months IS NULL OR age_sd_months >= 0", name="age_sd"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    age_months: Mapped[float | None] = mapped_column(Float)
    age_sd_months: Mapped[float | None] = mapped_column(Float)
    age_assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    found_on: Mapped[dt.date | None] = mapped_column(Date)
    found_place: Mapped[str | None] = mapped_column(Text)
    found_lat: Mapped[float | None] = mapped_column(Float)
    found_lon: Mapped[float | None] = mapped_column(Float)
    care_location: Mapped[str | None] = mapped_column(Text)
    health_conditions: Mapped[str | None] = mapped_column(Text)
    marks: Mapped[str | None] = mapped_column(Text)
    ring_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    sample: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The rescue the child is one of (a :class:`Cohort`, solved jointly); None: not in one.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="found", server_default="found")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    memories: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    dna_consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    photos: Mapped[list[Photo]] = relationship(back_populates="found_child")
    candidates: Mapped[list[Candidate]] = relationship(back_populates="found_child")
    cohort: Mapped[Cohort | None] = relationship(back_populates="children")


class MissingReport(_Stamped, Base):
    """A family's report of a missing child; its reference family is in ``pedigree``.

    ``multiple_missing`` marks a report of twins or several children missing together: only
    such a report may be confirmed against more than one found child.
    """

    __tablename__ = "missing_reports"
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_number: Mapped[str] = mapped_column(String(64), unique=True)
    child_name: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    disappeared_on: Mapped[dt.date | None] = mapped_column(Date)
    disappeared_place: Mapped[str | None] = mapped_column(Text)
    disappeared_lat: Mapped[float | None] = mapped_column(Float)
    disappeared_lon: Mapped[float | None] = mapped_column(Float)
    circumstances: Mapped[str | None] = mapped_column(Text)
    marks: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    contact_address: Mapped[str | None] = mapped_column(Text)
    multiple_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    suspected_of_sale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: The family account that filed the report on the web (it alone may see and edit it).
    family_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Whether the report lists the family's other children (``other_children``, possibly none):
    #: only then can a found child who fits be told from an unreported brother or sister.
    other_children_listed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    pedigree: Mapped[list[PedigreeMember]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="PedigreeMember.id")
    relatives: Mapped[list[Relative]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="Relative.id")
    photos: Mapped[list[Photo]] = relationship(back_populates="report")
    candidates: Mapped[list[Candidate]] = relationship(back_populates="report")
    other_children: Mapped[list[ReportOtherChild]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportOtherChild.id")


class ReportOtherChild(Base):
    """A child of the reporting family besides the missing one: sex and birth year (each may be
    unknown).  Meaningful with ``MissingReport.other_children_listed``: a report that lists none
    says the family has no other children."""

    __tablename__ = "report_other_children"
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        CheckConstraint("birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2200)", name="birth_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    birth_year: Mapped[int | None] = mapped_column(Integer)

    report: Mapped[MissingReport] = relationship(back_populates="other_children")


class Cohort(_Stamped, Base):
    """The found children of one rescue (``FoundChild.cohort``), solved together against the
    families with DNA (:mod:`reunite.cases.cohorts`).  ``code`` is the natural key (the ``cohort``
    column of ``found_children.csv``)."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    rescued_on: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))

    children: Mapped[list[FoundChild]] = relationship(back_populates="cohort", order_by="FoundChild.case_number")
    solutions: Mapped[list[CohortSolution]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CohortSolution.id")


class CohortSolution(Base):
    """One joint solution of a cohort (:func:`reunite.cases.cohorts.solve_stored_cohort`), kept with
    what produced it: the frequency table (name, SHA-256 of its content in ``frequency_tables``), the
    mutation model (as a candidate keeps it), theta, the decision rules, the software version, and
    ``input_sha256``, a digest of everything solved (children, families, genotypes), so that a page
    can say when the data have changed since.  ``result`` is the solution as
    :meth:`reunite.genetics.cohort.CohortResult.as_dict` gives it, plus ``store`` (children left out
    for lack of DNA, the families compared).  The newest row is the cohort's current solution."""

    __tablename__ = "cohort_solutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    solved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    solved_by: Mapped[str] = mapped_column(String(100))
    frequencies: Mapped[str] = mapped_column(String(200))
    frequencies_sha256: Mapped[str] = mapped_column(ForeignKey("frequency_tables.sha256"), index=True)
    mutation_model: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    theta: Mapped[float] = mapped_column(Float, default=0.0)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON(none_as_null=True))
    software_version: Mapped[str] = mapped_column(String(40))
    input_sha256: Mapped[str] = mapped_column(String(64))
    seconds: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any]] = mapped_column(JSON(none_as_null=True))

    cohort: Mapped[Cohort] = relationship(back_populates="solutions")


class PedigreeMember(Base):
    """One member of a report's reference pedigree (a row of ``families.csv``).

    ``member_id``, ``father`` and ``mother`` are the ids used in the file, local to the report;
    exactly one member per report has ``missing`` set: the missing child.
    """

    __tablename__ = "pedigree_members"
    __table_args__ = (
        UniqueConstraint("report_id", "member_id"),
        CheckConstraint(_in("sex", SEXES), name="sex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    father: Mapped[str | None] = mapped_column(String(64))
    mother: Mapped[str | None] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(10))
    sample: Mapped[str | None] = mapped_column(String(64), index=True)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)

    report: Mapped[MissingReport] = relationship(back_populates="pedigree")


class Relative(Base):
    """A relative of the missing child the family named as able to give DNA (typed: with a
    reference sample).  The table keeps its first name, ``reference_donors``.

    ``consent_given`` is None when the import did not record consent (the search format has no
    consent column); ``consent_scope`` says what the sample may be used for.
    """

    __tablename__ = "reference_donors"
    __table_args__ = (UniqueConstraint("report_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(40))
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_scope: Mapped[str | None] = mapped_column(Text)
    sample: Mapped[str | None] = mapped_column(String(64), index=True)

    report: Mapped[MissingReport] = relationship(back_populates="relatives")


class DnaSample(Base):
    """A typed DNA sample and its profile.

    ``genotypes`` maps folded marker keys (see :func:`reunite.genetics.marker_key`) to two
    sorted allele labels, Amelogenin included as ``"AMEL"``.  ``y_haplotype`` holds the sample's
    Y-STR haplotype (``{locus key: "13,19"}``, a null allele as ``"null"``;
    :func:`reunite.genetics.ystr.parse_y_haplotype` reads it back) and ``mt_sequence`` its mtDNA
    control-region sequence (``{"range": "16024-16365 73-340", "variants": "16223T 73G"}``, EMPOP
    notation); None when not typed.  An ``erased`` sample (consent withdrawn) keeps its row for the
    audit trail, with its genotypes, haplotype and sequence removed.
    """

    __tablename__ = "dna_samples"
    __table_args__ = (
        CheckConstraint(f"sample_kind IS NULL OR {_in('sample_kind', SAMPLE_KINDS)}", name="sample_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample: Mapped[str] = mapped_column(String(64), unique=True)
    lab: Mapped[str] = mapped_column(String(100))
    kit: Mapped[str | None] = mapped_column(String(100))
    typed_on: Mapped[dt.date | None] = mapped_column(Date)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    genotypes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    marker_count: Mapped[int] = mapped_column(Integer, default=0)
    # none_as_null: "not typed" is SQL NULL, never the JSON value null, so that ``IS NULL`` finds it
    # (migration 0023 converted the rows written before).
    y_haplotype: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    mt_sequence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    erased: Mapped[bool] = mapped_column(Boolean, default=False)
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Chain of custody, printed in the lab report (all optional; see the import's columns).
    #: One of :data:`SAMPLE_KINDS` (``blood_card``, ``buccal_swab`` ...).
    sample_kind: Mapped[str | None] = mapped_column(String(40))
    collected_on: Mapped[dt.date | None] = mapped_column(Date)
    collected_by: Mapped[str | None] = mapped_column(String(100))
    sealed_by: Mapped[str | None] = mapped_column(String(100))
    received_by: Mapped[str | None] = mapped_column(String(100))
    received_on: Mapped[dt.date | None] = mapped_column(Date)


class LineageDatabase(Base):
    """The reference database of lineage markers the matching counts haplotypes in, one per ``kind``
    (``y``: Y-STR haplotypes, ``mt``: mtDNA sequences), imported by ``reunite import ydb|mtdb``.

    ``content`` is the CSV text exactly as it was read, ``sha256`` the hex SHA-256 of its UTF-8
    bytes (kept with every lineage result computed with it), ``size`` the number of haplotypes.
    Without a row of a kind the shipped SIMULATED database is used (:mod:`reunite.cases.lineage`).
    The database holds unrelated people's haplotypes, not the families' or the children's.
    """

    __tablename__ = "lineage_databases"
    __table_args__ = (CheckConstraint(_in("kind", LINEAGE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LineageFit(Base):
    """A discrete Laplace mixture fitted to a Y-STR reference database on one set of loci (issue 15):
    the fitted parameters (``params``: weights, centres, dispersions; no man's haplotype), kept so that a
    matching run reads them back instead of refitting (a fit on 50,000 haplotypes takes minutes).

    Keyed by the database's SHA-256 (the shipped SIMULATED one's too), the SHA-256 of its loci (joined by
    commas) and the EM seed; ``loci`` names them.  Fits of a database no longer configured are deleted
    when another is imported (:mod:`reunite.cases.lineage`)."""

    __tablename__ = "lineage_fits"
    __table_args__ = (UniqueConstraint("database_sha256", "loci_sha256", "seed"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_sha256: Mapped[str] = mapped_column(String(64), index=True)
    loci_sha256: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    loci: Mapped[str] = mapped_column(Text)
    clusters: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON(none_as_null=True))
    fit_seconds: Mapped[float] = mapped_column(Float)
    fitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Laboratory(_Stamped, Base):
    """A laboratory that types samples: ``DnaSample.lab`` is its ``name``.

    ``accreditation`` is its accreditation number (e.g. ``CNAS L1234``), printed on every lab report
    with ``name_zh`` (the name a Chinese report prints) and ``address``.
    """

    __tablename__ = "laboratories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_zh: Mapped[str | None] = mapped_column(Text)
    accreditation: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(Text)


class FrequencyTableContent(Base):
    """The content of a frequency table a candidate was computed with, stored once per content.

    ``content`` is the table's CSV text exactly as it was read; ``sha256`` the hex SHA-256 of its
    UTF-8 bytes (what a candidate's ``frequencies_sha256`` refers to), so a report printed later
    uses exactly the table the matching used, whatever the bundled files or the environment say.
    """

    __tablename__ = "frequency_tables"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReportKinship(Base):
    """The kinship settings a report's family came with from a Familias case (``reunite import fam``):
    the file's frequency database as a stored table (``frequencies``, its name, and ``frequencies_sha256``,
    its content in ``frequency_tables``), its mutation model (``{"spec", "model", "description"}`` as a
    candidate keeps one, or None), theta, the file's name, and the person of interest the file typed: the
    found child holding that profile (``found_child_id``).  With them the case the file describes is
    computed from the store (:func:`reunite.cases.famimport.stored_fam_case`) and written back
    (``reunite export fam --report``).  One row per report; a new import of a ``.fam`` replaces it."""

    __tablename__ = "report_kinship"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), unique=True)
    frequencies: Mapped[str] = mapped_column(String(200))
    frequencies_sha256: Mapped[str] = mapped_column(ForeignKey("frequency_tables.sha256"), index=True)
    mutation_model: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    theta: Mapped[float] = mapped_column(Float, default=0.0)
    found_child_id: Mapped[int | None] = mapped_column(ForeignKey("found_children.id", ondelete="SET NULL"),
                                                       index=True)
    source_file: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    report: Mapped[MissingReport] = relationship()
    found_child: Mapped[FoundChild | None] = relationship()


class Photo(Base):
    """A photo of a found child or of a missing child (from a report).

    The file lives under the media directory at ``path`` (relative), named by its SHA-256.
    """

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint("(found_child_id IS NULL) <> (report_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    found_child_id: Mapped[int | None] = mapped_column(
        ForeignKey("found_children.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    found_child: Mapped[FoundChild | None] = relationship(back_populates="photos")
    report: Mapped[MissingReport | None] = relationship(back_populates="photos")


class Candidate(_Stamped, Base):
    """A possible match of a found child with a missing-child report, with its evidence.

    The evidence is a list of items, one per kind (:class:`CandidateEvidence`, ``evidence``): DNA,
    sex, age, time, place ... (:mod:`reunite.evidence.registry`).  Likelihood ratios are for H1 "the
    child is the report's missing child" against H2 "the child is unrelated to the family".
    ``prior`` is explicit and ``posterior`` is what :func:`reunite.evidence.fuse` made of the prior
    and the items when they were recorded.  ``dna_lr``, ``dna_log10_lr``, ``sex_lr`` ... read the
    items (None when the kind is absent); ``dna_log10_lr`` also works in queries.
    """

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("found_child_id", "report_id"),
        CheckConstraint(_in("status", CANDIDATE_STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(f"dna_decision IS NULL OR {_in('dna_decision', DNA_DECISIONS)}", name="dna_decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    found_child_id: Mapped[int] = mapped_column(ForeignKey("found_children.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    prior: Mapped[float | None] = mapped_column(Float)
    posterior: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(30), default="new", index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    dna_withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # A ``closed`` candidate: the confirmed candidate that closed it (its child or its report was
    # confirmed with another report or child; :mod:`reunite.cases.workflow`).
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    # What produced the DNA evidence (None for a candidate without DNA evidence): the frequency
    # table (its name, and the SHA-256 of its content in ``frequency_tables``), the mutation model
    # (``{"spec": what was asked, "model": the parsed model as JSON, "description": ...}``, or
    # None: no mutation), theta, the decision rules and the software version.
    frequencies: Mapped[str | None] = mapped_column(String(200))
    frequencies_sha256: Mapped[str | None] = mapped_column(ForeignKey("frequency_tables.sha256"), index=True)
    mutation_model: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    theta: Mapped[float | None] = mapped_column(Float)
    rules: Mapped[str | None] = mapped_column(String(10))
    software_version: Mapped[str | None] = mapped_column(String(40))
    # The DNA conclusion under ``rules`` (:func:`reunite.genetics.rules.conclude`): its decision and
    # exclusion flag as columns, the whole of it (rule id, relationship class, source, reason in
    # English and Chinese, verbal scale) in ``dna_conclusion``.  An excluded candidate's posterior is 0.
    dna_decision: Mapped[str | None] = mapped_column(String(20))
    dna_excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    dna_conclusion: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    found_child: Mapped[FoundChild] = relationship(back_populates="candidates")
    report: Mapped[MissingReport] = relationship(back_populates="candidates")
    closed_by: Mapped[Candidate | None] = relationship(remote_side="Candidate.id")
    reviews: Mapped[list[Review]] = relationship(back_populates="candidate", order_by="Review.id")
    evidence: Mapped[list[CandidateEvidence]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", order_by="CandidateEvidence.id")

    @property
    def items(self) -> list[CandidateEvidence]:
        """The evidence items in the registry's order (DNA first), as pages and reports list them."""
        return sorted(self.evidence, key=lambda e: order_of(e.kind))

    def item(self, kind: str) -> CandidateEvidence | None:
        """The evidence item of ``kind`` (``dna``, ``sex`` ...), or None."""
        for ev in self.evidence:
            if ev.kind == kind:
                return ev
        return None

    @hybrid_property
    def has_dna(self) -> bool:
        """Whether the candidate has DNA evidence (a pair without it is listed apart); in a query, EXISTS."""
        return self.item("dna") is not None

    @has_dna.inplace.expression
    @classmethod
    def _has_dna_expression(cls):
        return (sa_select(CandidateEvidence.id)
                .where(CandidateEvidence.candidate_id == cls.id, CandidateEvidence.kind == "dna")
                .correlate_except(CandidateEvidence).exists())

    def _lr(self, kind: str) -> float | None:
        ev = self.item(kind)
        return None if ev is None else ev.lr

    @hybrid_property
    def dna_log10_lr(self) -> float | None:
        """The DNA item's log10 LR (None: no DNA, or LR 0); in a query, a correlated subquery."""
        ev = self.item("dna")
        return None if ev is None else ev.log10_lr

    @dna_log10_lr.inplace.expression
    @classmethod
    def _dna_log10_lr_expression(cls):
        return (sa_select(CandidateEvidence.log10_lr)
                .where(CandidateEvidence.candidate_id == cls.id, CandidateEvidence.kind == "dna")
                .correlate_except(CandidateEvidence).scalar_subquery())

    @property
    def dna_lr(self) -> float | None:
        """The DNA item's LR (None beyond the range of floats, where ``dna_log10_lr`` says it; 0: LR 0)."""
        return self._lr("dna")

    @property
    def inconsistent_markers(self) -> int | None:
        ev = self.item("dna")
        return None if ev is None else (ev.data or {}).get("inconsistent_markers")

    @property
    def markers_compared(self) -> int | None:
        ev = self.item("dna")
        return None if ev is None else (ev.data or {}).get("markers_compared")

    @property
    def sex_lr(self) -> float | None:
        return self._lr("sex")

    @property
    def age_lr(self) -> float | None:
        return self._lr("age")

    @property
    def time_lr(self) -> float | None:
        return self._lr("time")


class CandidateEvidence(Base):
    """One item of a candidate's evidence: a likelihood ratio of one kind, explained.

    ``kind`` names a registered kind (:mod:`reunite.evidence.registry`), once per candidate;
    ``log10_lr`` is authoritative (None: the LR is 0), ``lr`` is ``10**log10_lr`` when a float holds
    it (None beyond 10^±300).  ``model`` and ``parameters`` say how it was computed, ``data`` what it
    compared (non-identifying: quantities and codes, never a name or a genotype), ``sentence`` and
    ``sentence_zh`` what it says in English and Chinese.
    """

    __tablename__ = "candidate_evidence"
    __table_args__ = (UniqueConstraint("candidate_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    log10_lr: Mapped[float | None] = mapped_column(Float)
    lr: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    sentence: Mapped[str | None] = mapped_column(Text)
    sentence_zh: Mapped[str | None] = mapped_column(Text)

    candidate: Mapped[Candidate] = relationship(back_populates="evidence")

    def sentence_in(self, lang: str) -> str:
        """The stored sentence in ``lang`` (``zh`` or ``en``)."""
        return (self.sentence_zh if lang == "zh" else self.sentence) or ""

    def label(self, lang: str = "en") -> str:
        """The kind's registered label in ``lang`` (``zh`` or ``en``)."""
        return evidence_label(self.kind, lang)




class Review(Base):
    """One decision on a candidate: a status change by a named user, with the reason."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    candidate: Mapped[Candidate] = relationship(back_populates="reviews")
    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log (see :mod:`reunite.cases.audit`).

    ``details`` is canonical JSON text (kept as text so that no backend reorders or reformats
    what was hashed).  ``prev_hash`` is unique, so the chain cannot fork.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ImportRun(Base):
    """One import of a file, whatever its end (the history of imports): who, when, which kind and
    file name, the counts, how it ended and, for a failure, the number of problems and the error's
    type (never the file's values)."""

    __tablename__ = "import_runs"
    __table_args__ = (CheckConstraint(_in("outcome", IMPORT_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    user: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))


class WrittenFile(Base):
    """A file the store wrote outside the database: a candidate's report (``kind`` ``report``, with its
    candidate), an export of a table (``export``) or an appeal's poster or press kit (``poster``, with
    its appeal).  A withdrawal of consent deletes the ones that may hold the erased genotype or the
    report's appeal (:func:`reunite.cases.privacy.erase_everywhere`); unpublishing an appeal deletes
    its posters."""

    __tablename__ = "written_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    candidate_id: Mapped[int | None] = mapped_column(Integer, index=True)
    table_name: Mapped[str | None] = mapped_column(String(100))
    appeal_id: Mapped[int | None] = mapped_column(Integer, index=True)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    written_by: Mapped[str] = mapped_column(String(100))


class StoreState(Base):
    """A named fact about the whole store, one row each (:mod:`reunite.cases.state`).

    ``matching_owed`` (value ``1``) is set in the transaction of an import that changed something and
    cleared by the transaction that completes a matching run; ``import_lock`` is the row an import or a
    matching run locks so that they run one at a time, across processes too."""

    __tablename__ = "store_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WithdrawalReason(Base):
    """The reason given when a relative withdrew consent, as typed (it may name people or hold a phone
    number): readable by investigators, referred to by id from the audit log, never copied into it."""

    __tablename__ = "withdrawal_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_number: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))


class Appeal(_Stamped, Base):
    """A public appeal: for a found child's family (``found_child_id``) or for a missing child
    (``report_id``, a report the family agreed to publish); exactly one of the two is set.

    Only ``published`` appeals are shown to the public; unpublishing hides one at once and keeps
    the row (and its tips) for the investigators.  ``facts`` lists what the investigator chose to
    publish (:data:`reunite.cases.appeals.FACTS`); ``description`` and ``marks`` are the public
    wording, written for the appeal; an appeal without a photo states why (``no_photo_reason``).
    """

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    found_child_id: Mapped[int | None] = mapped_column(ForeignKey("found_children.id", ondelete="CASCADE"),
                                                       index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    hotline: Mapped[str] = mapped_column(String(40))
    facts: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    description: Mapped[str | None] = mapped_column(Text)
    marks: Mapped[str | None] = mapped_column(Text)
    no_photo_reason: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_by: Mapped[str | None] = mapped_column(String(100))

    found_child: Mapped[FoundChild | None] = relationship()
    report: Mapped[MissingReport | None] = relationship()
    photo: Mapped[Photo | None] = relationship()

    @property
    def kind(self) -> str:
        """``found`` (a found child's appeal for its family) or ``missing`` (a missing child's)."""
        return "found" if self.found_child_id is not None else "missing"

    @property
    def case_reference(self) -> str:
        """The staff's reference of what the appeal is about: the case or the report number."""
        return self.found_child.case_number if self.found_child is not None else self.report.report_number


class Tip(Base):
    """A tip from the public about an appeal; seen by investigators only, never published."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    appeal: Mapped[Appeal] = relationship()
