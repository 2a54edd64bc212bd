"""The pure numeric core: markers, frequencies, mutation, pedigrees, likelihood, kinship.

Imports nothing from the store, the web, the CLI or Dask.
"""

from .cohort import Cohort, CohortResult, load_cohort, simulate_cohort, solve_cohort
from .frequencies import FrequencyTable, bundled_tables, load_frequencies
from .guidance import GuidanceCase, load_guidance_case, sampling_guidance
from .kinship import (
    KinshipCase,
    LRResult,
    MarkerLR,
    format_lr,
    load_case,
    missing_person_lr,
    verbal_equivalent,
)
from .likelihood import MarkerData, marker_likelihoods, person_genotype_table
from .markers import MISSING, Profile, display_name, marker_key, parse_profile
from .mutation import (
    DEFAULT_MUTATION,
    MutationModel,
    MutationSpec,
    SexSpecificMutation,
    default_mutation,
    marker_matrices,
    mutation_matrix,
    parse_mutation,
)
from .pedigree import Pedigree, Person, make_pedigree
from .rules import (
    DEFAULT_RULES,
    RULESETS,
    Alternative,
    Conclusion,
    Rule,
    RuleSet,
    alternative_relationships,
    conclude,
    conclude_case,
    load_rules,
    relationship_class,
)

__all__ = [
    "DEFAULT_MUTATION",
    "DEFAULT_RULES",
    "MISSING",
    "RULESETS",
    "Alternative",
    "Cohort",
    "CohortResult",
    "Conclusion",
    "FrequencyTable",
    "GuidanceCase",
    "KinshipCase",
    "LRResult",
    "MarkerData",
    "MarkerLR",
    "MutationModel",
    "MutationSpec",
    "Pedigree",
    "Person",
    "Profile",
    "Rule",
    "RuleSet",
    "SexSpecificMutation",
    "alternative_relationships",
    "bundled_tables",
    "conclude",
    "conclude_case",
    "default_mutation",
    "display_name",
    "format_lr",
    "load_case",
    "load_cohort",
    "load_frequencies",
    "load_guidance_case",
    "load_rules",
    "make_pedigree",
    "marker_key",
    "marker_likelihoods",
    "marker_matrices",
    "missing_person_lr",
    "mutation_matrix",
    "parse_mutation",
    "parse_profile",
    "person_genotype_table",
    "relationship_class",
    "sampling_guidance",
    "simulate_cohort",
    "solve_cohort",
    "verbal_equivalent",
]
