"""The pure numeric core: markers, frequencies, mutation, pedigrees, likelihood, kinship.

Imports nothing from the store, the web, the CLI or Dask.
"""

from .cohort import Cohort, CohortResult, load_cohort, simulate_cohort, solve_cohort
from .frequencies import FrequencyTable, bundled_tables, load_frequencies
from .guidance import GuidanceCase, load_guidance_case, sampling_guidance
from .haplotype import HaplotypeError, YHaplotype
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
from .lineage import combine_with_autosomal, evaluate_mt_case, evaluate_y_case, load_lineage_case
from .markers import MISSING, Profile, display_name, marker_key, parse_profile
from .mtdna import (
    MtSequence,
    bundled_mt_database,
    load_mt_database,
    maternal_relatives,
    mt_lineage_lr,
    parse_mt_sequence,
)
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
from .ystr import (
    KITS,
    YDatabase,
    bundled_y_database,
    haplotype_probability,
    load_y_database,
    parse_y_haplotype,
    paternal_relatives,
    y_lineage_lr,
)

__all__ = [
    "DEFAULT_MUTATION",
    "DEFAULT_RULES",
    "KITS",
    "MISSING",
    "RULESETS",
    "Alternative",
    "Cohort",
    "CohortResult",
    "Conclusion",
    "FrequencyTable",
    "GuidanceCase",
    "HaplotypeError",
    "KinshipCase",
    "LRResult",
    "MarkerData",
    "MarkerLR",
    "MtSequence",
    "MutationModel",
    "MutationSpec",
    "Pedigree",
    "Person",
    "Profile",
    "Rule",
    "RuleSet",
    "SexSpecificMutation",
    "YDatabase",
    "YHaplotype",
    "alternative_relationships",
    "bundled_mt_database",
    "bundled_tables",
    "bundled_y_database",
    "combine_with_autosomal",
    "conclude",
    "conclude_case",
    "default_mutation",
    "display_name",
    "evaluate_mt_case",
    "evaluate_y_case",
    "format_lr",
    "haplotype_probability",
    "load_case",
    "load_cohort",
    "load_frequencies",
    "load_guidance_case",
    "load_lineage_case",
    "load_mt_database",
    "load_rules",
    "load_y_database",
    "make_pedigree",
    "marker_key",
    "marker_likelihoods",
    "marker_matrices",
    "maternal_relatives",
    "missing_person_lr",
    "mt_lineage_lr",
    "mutation_matrix",
    "parse_mt_sequence",
    "parse_mutation",
    "parse_profile",
    "parse_y_haplotype",
    "paternal_relatives",
    "person_genotype_table",
    "relationship_class",
    "sampling_guidance",
    "simulate_cohort",
    "solve_cohort",
    "verbal_equivalent",
    "y_lineage_lr",
]
