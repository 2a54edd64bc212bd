"""Non-DNA evidence and evidence fusion: every piece of evidence is a likelihood ratio.

H1 = the found child is the missing child of a report; H2 = the found child is another child.
:func:`sex_lr`, :func:`age_lr` and :func:`time_lr` compute the non-DNA LRs from stated models
(each module's docstring gives the model and the reasoning for every default); :func:`face_lr`
turns the distance of two photographs' face embeddings (:func:`face_embedding`, the ``faces``
extra) into a calibrated, capped LR shrunk toward 1 for children and age gaps;
:func:`place_lr` (places resolved offline by :func:`resolve_place`) and :func:`marks_lr`
(marks and congenital conditions read by :func:`parse_marks`) explain themselves in Chinese too;
:func:`dna_evidence` wraps a kinship result and :func:`from_lr` any other LR; :func:`fuse`
combines them with an explicit prior into a :class:`Posterior` that explains itself: the one place a
posterior is computed.  Every kind of evidence is registered once (:func:`register`, in
:mod:`.kinds`); :func:`compute_items` computes every registered kind for a pair.

How good each kind is, measured on true and false pairs (Cllr, Tippett plots), is in
:mod:`.calibration` (``reunite evidence calibrate``), not imported here because it loads matplotlib;
:meth:`AgeReference.from_population` and :meth:`TimeReference.from_population` take the age and
time models' reference distributions from the store's own population.

A pure layer: imports numpy, :mod:`reunite.errors` and :mod:`reunite.genetics` only (and, in
:mod:`.face`, Pillow and dlib when a photograph is read).
"""

from . import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from .age import AgeReference, age_lr, months_between
from .face import Embedding, FaceCalibration, FaceFinding, face_embedding, face_lr, face_score, find_face
from .fusion import H1, H2, INDEPENDENCE, EvidenceItem, Posterior, dna_evidence, from_lr, fuse, prior_from_open_reports
from .marks import Mark, marks_lr, parse_marks
from .place import PlaceReference, ResolvedPlace, TravelModel, distance_km, place_lr, resolve_place
from .registry import Kind, compute_items, kinds, register
from .sex import amelogenin_sex, sex_lr
from .time import TimeReference, time_lr

__all__ = [
    "H1",
    "H2",
    "INDEPENDENCE",
    "AgeReference",
    "Embedding",
    "EvidenceItem",
    "FaceCalibration",
    "FaceFinding",
    "Kind",
    "Mark",
    "PlaceReference",
    "Posterior",
    "ResolvedPlace",
    "TimeReference",
    "TravelModel",
    "age_lr",
    "amelogenin_sex",
    "compute_items",
    "distance_km",
    "dna_evidence",
    "face_embedding",
    "face_lr",
    "face_score",
    "find_face",
    "from_lr",
    "fuse",
    "kinds",
    "marks_lr",
    "months_between",
    "parse_marks",
    "place_lr",
    "prior_from_open_reports",
    "register",
    "resolve_place",
    "sex_lr",
    "time_lr",
]
