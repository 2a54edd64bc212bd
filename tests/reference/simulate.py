"""Seeded simulators of small pedigrees, frequency tables and genotypes for the tests."""

from __future__ import annotations

import numpy as np

from reunite.genetics.mutation import MutationModel, mutation_matrix

from .brute import _parents_first

#: Allele labels per model: numeric with a microvariant for stepwise, an integer ladder with a
#: gap for onestep (so that an allele without a neighbour occurs), plain numbers otherwise.
LABELS = {
    "stepwise": ("9", "10", "11", "11.3", "12", "12.3"),
    "onestep": ("9", "10", "11", "13", "14", "15"),
    "plain": ("10", "11", "12", "13", "14", "15"),
}

#: Mutation settings the comparisons cycle through: (female model, male model) or None.
MUTATIONS: dict[str, tuple[MutationModel, MutationModel] | None] = {
    "none": None,
    "equal": (MutationModel("equal", rate=0.01),) * 2,
    "proportional": (MutationModel("proportional", rate=0.02),) * 2,
    "stepwise": (MutationModel("stepwise", rate=0.03, rate2=0.002, range=0.3),) * 2,
    "onestep": (MutationModel("onestep", rate=0.02),) * 2,
    "sex-specific equal": (MutationModel("equal", rate=0.001), MutationModel("equal", rate=0.05)),
    "sex-specific stepwise": (MutationModel("stepwise", rate=0.004, rate2=1e-4, range=0.5),
                              MutationModel("stepwise", rate=0.06, rate2=0.003, range=0.1)),
    "sex-specific mixed": (MutationModel("proportional", rate=0.01),
                           MutationModel("stepwise", rate=0.04, rate2=0.001, range=0.2)),
}


def labels_for(mutation: str, n: int) -> tuple[str, ...]:
    if "stepwise" in mutation:
        return LABELS["stepwise"][:n]
    if "onestep" in mutation:
        return LABELS["onestep"][:n]
    return LABELS["plain"][:n]


def exact_freqs(rng: np.random.Generator, n: int, total: int = 256) -> np.ndarray:
    """Frequencies k_i / total (exact in binary, summing to exactly 1), all positive."""
    cuts = np.sort(rng.choice(np.arange(1, total), size=n - 1, replace=False))
    counts = np.diff(np.concatenate([[0], cuts, [total]]))
    return counts.astype(float) / total


def matrices(mutation: str, labels, freqs) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(female matrix, male matrix) of a named setting of :data:`MUTATIONS`."""
    models = MUTATIONS[mutation]
    if models is None:
        return None, None
    fem = mutation_matrix(models[0], labels, freqs, "M")
    male = mutation_matrix(models[1], labels, freqs, "M")
    return fem, male


def random_pedigree(rng: np.random.Generator, size: int, *, loops: bool = True) -> list[dict]:
    """Records {id, father, mother, sex} of a random pedigree of ``size`` members.

    The first two members are founders; later ones are founders with probability 0.35, else
    children of a random man and a random woman already present (so that marriage and
    inbreeding loops occur unless ``loops`` is False, in which case such a pairing is
    avoided by making the member a founder).
    """
    recs: list[dict] = []
    for i in range(size):
        pid = f"p{i}"
        sex = "male" if rng.random() < 0.5 else "female"
        men = [r["id"] for r in recs if r["sex"] == "male"]
        women = [r["id"] for r in recs if r["sex"] == "female"]
        father = mother = None
        if i >= 2 and men and women and rng.random() > 0.35:
            father = men[rng.integers(len(men))]
            mother = women[rng.integers(len(women))]
            if not loops and _would_loop(recs, father, mother):
                father = mother = None
        recs.append({"id": pid, "father": father, "mother": mother, "sex": sex})
    return recs


def _would_loop(recs: list[dict], father: str, mother: str) -> bool:
    """True if a child of ``father`` and ``mother`` closes a loop in the person--mating graph."""
    comp: dict[object, object] = {}

    def find(x):
        comp.setdefault(x, x)
        while comp[x] != x:
            x = comp[x]
        return x

    for r in recs:
        find(r["id"])
        if r["father"] is not None:
            mating = ("mating", r["father"], r["mother"])
            for pid in (r["id"], r["father"], r["mother"]):
                comp[find(pid)] = find(mating)
    if ("mating", father, mother) in comp:
        return False  # one more child of an existing couple closes no loop
    return find(father) == find(mother)


def parent_map(recs: list[dict]) -> dict[str, tuple[str | None, str | None]]:
    return {r["id"]: (r["father"], r["mother"]) for r in recs}


def gene_drop(rng: np.random.Generator, recs: list[dict], freqs: np.ndarray,
              fem: np.ndarray | None = None, male: np.ndarray | None = None) -> dict[str, tuple[int, int]]:
    """Simulate ordered genotypes down the pedigree (founders HW, transmission with mutation)."""
    parents = parent_map(recs)
    out: dict[str, tuple[int, int]] = {}
    n = len(freqs)
    for pid in _parents_first(parents):
        fa, mo = parents[pid]
        if fa is None:
            out[pid] = (int(rng.choice(n, p=freqs)), int(rng.choice(n, p=freqs)))
            continue
        alleles = []
        for par, mat in ((fa, male), (mo, fem)):
            a = out[par][rng.integers(2)]
            if mat is not None:
                a = int(rng.choice(n, p=mat[a] / mat[a].sum()))
            alleles.append(int(a))
        out[pid] = (alleles[0], alleles[1])
    return out


def gene_drop_x(rng: np.random.Generator, recs: list[dict], freqs: np.ndarray,
                fem: np.ndarray | None = None, male: np.ndarray | None = None) -> dict[str, tuple[int, int]]:
    """Simulate an X-chromosomal marker: a male's genotype is (a, a), his one allele from his
    mother; a female's paternal allele is her father's one allele (through ``male``)."""
    parents = parent_map(recs)
    sex = {r["id"]: r["sex"] for r in recs}
    out: dict[str, tuple[int, int]] = {}
    n = len(freqs)

    def drop(a: int, mat) -> int:
        return int(a) if mat is None else int(rng.choice(n, p=mat[a] / mat[a].sum()))

    for pid in _parents_first(parents):
        fa, mo = parents[pid]
        if fa is None:
            a = int(rng.choice(n, p=freqs))
            out[pid] = (a, a) if sex[pid] == "male" else (a, int(rng.choice(n, p=freqs)))
            continue
        m = drop(out[mo][rng.integers(2)], fem)
        out[pid] = (m, m) if sex[pid] == "male" else (drop(out[fa][1], male), m)
    return out
