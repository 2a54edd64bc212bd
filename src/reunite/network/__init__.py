"""The trafficking network: people, relations, transfers of children, and what they tell.

A layer beside the case store (it uses the store, :mod:`reunite.cases`, and the place evidence):

* :mod:`reunite.network.models` — the tables (``network_people``, ``network_relations``,
  ``network_transfers``, migration 0009);
* :mod:`reunite.network.importing` — ``ring.csv`` and ``transfers.csv`` (all-or-nothing,
  idempotent, audited);
* :mod:`reunite.network.analysis` — chains of custody, prices, unfound children, gaps, brokers,
  components and communities, GraphML and CSV exports;
* :mod:`reunite.network.leads` — leads into the matching (the network evidence item) and the appeals;
* :mod:`reunite.network.suspected` — parents who sold their child: reports marked suspected of the sale;
* :mod:`reunite.network.text` — the analyses as an investigator reads them (en).

Investigators only: the web shows none of it to families or the public, and every read through
the CLI is audited (:func:`audit_read`).  See docs/network.md.
"""

from __future__ import annotations

from .analysis import Chain, Gap, Network, Person, Step, Transfer, audit_read, chain_of, investigations
from .importing import NetworkImportResult, import_network
from .leads import (
    mark_suspected_families,
    matching_context,
    network_lr,
    province_leads,
    suspected_families,
    village_leads,
)
from .models import NetworkPerson, NetworkRelation, NetworkTransfer

__all__ = [
    "Chain",
    "Gap",
    "Network",
    "NetworkImportResult",
    "NetworkPerson",
    "NetworkRelation",
    "NetworkTransfer",
    "Person",
    "Step",
    "Transfer",
    "audit_read",
    "chain_of",
    "import_network",
    "investigations",
    "mark_suspected_families",
    "matching_context",
    "network_lr",
    "province_leads",
    "suspected_families",
    "village_leads",
]
