"""The pure numeric core: markers, frequencies, mutation, pedigrees, likelihood, kinship.

Imports nothing from the store, the web, the CLI or Dask.
"""

from .frequencies import FrequencyTable, bundled_tables, load_frequencies
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

__all__ = [
    "DEFAULT_MUTATION",
    "MISSING",
    "FrequencyTable",
    "KinshipCase",
    "LRResult",
    "MarkerData",
    "MarkerLR",
    "MutationModel",
    "MutationSpec",
    "Pedigree",
    "Person",
    "Profile",
    "SexSpecificMutation",
    "bundled_tables",
    "default_mutation",
    "display_name",
    "format_lr",
    "load_case",
    "load_frequencies",
    "make_pedigree",
    "marker_key",
    "marker_likelihoods",
    "marker_matrices",
    "missing_person_lr",
    "mutation_matrix",
    "parse_mutation",
    "parse_profile",
    "person_genotype_table",
    "verbal_equivalent",
]
