"""Decision rules: one conclusion per kinship result, following a named standard.

A rule set (``gbt``: China's standards; ``isfg``: the ENFSI/ISFG verbal scale without categorical
decisions) is data, in ``reunite/data/rules/<name>.json``: one rule per relationship class, each
with its source (standard and clause) and its thresholds.  docs/rules.md cites every threshold and
says which could not be verified; a rule whose standard publishes no threshold has none, and its
conclusion is the verbal scale with no categorical decision.

This module is the one place to import them from.  The decisions themselves (:func:`conclude`,
:func:`relationship_class`, the rule sets) are pure and live in :mod:`.decisions`, below the engine;
what runs the engine (the LR of other relationships when a parent is excluded,
:func:`alternative_relationships`, and the conclusion of a computed case, :func:`conclude_case`)
lives in :mod:`.kinship` next to :class:`~.kinship.LRResult`, so that no import cycle is needed.
"""

from __future__ import annotations

from .decisions import (
    DEFAULT_RULES,
    RELATIONSHIPS,
    RULESETS,
    Alternative,
    Conclusion,
    Rule,
    RuleSet,
    conclude,
    format_lr,
    load_rules,
    relationship_class,
    verbal_scale,
)
from .kinship import alternative_relationships, conclude_case

__all__ = [
    "DEFAULT_RULES",
    "RELATIONSHIPS",
    "RULESETS",
    "Alternative",
    "Conclusion",
    "Rule",
    "RuleSet",
    "alternative_relationships",
    "conclude",
    "conclude_case",
    "format_lr",
    "load_rules",
    "relationship_class",
    "verbal_scale",
]
