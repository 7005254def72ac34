"""Supplier resolution: which supplier records (raw.suppliers, every source) are the same real supplier.

`resolve_suppliers()` reads the latest version of every supplier record and writes resolution.supplier_matches,
one row per supplier_id: the resolved supplier_key, how the record was linked (method, score), the record it was
linked to and the evidence in words. dbt's int_suppliers_resolved takes the key from there.

How records are linked (each link is an edge; clusters are the connected components, by union-find):

1. tax_id: records with the same tax id (letters and digits only, so 12-3456789 = 123456789) are one supplier.
   Placeholder tax ids (too short, one repeated digit, 123456789, "UNKNOWN"...) count as none.
2. exact_name: records with the same normalised name (`normalise_name`: case, punctuation, & / AND, legal
   forms spelled one way (Incorporated -> INC, L.L.C. -> LLC, Limited -> LTD, Corporation -> CORP, Company ->
   CO, P.L.C. -> PLC), Grp -> GROUP, a leading THE dropped). When the name is shared by records with two or
   more different tax ids, the records without one are ambiguous and are not attached to any of them.
3. names without the legal form (the "core": ACME SUPPLY for ACME SUPPLY LLC or ACME LLC SUPPLY), compared
   across the clusters of steps 1-2, in blocks (the first three letters of the core's first or of its last
   word) so that it scales. Equal cores (a record that names no legal form, as Nevada's PO vendors do, meets
   one that does) link as exact_name. Similar cores link as fuzzy_name when rapidfuzz's ratio (an edit
   similarity, 0-100) reaches FUZZY_MIN_SCORE and the words that differ look like a typo of each other:
   as long as TYPO_WORD_MIN_LENGTH, the same first letter, a ratio of at least TYPO_WORD_MIN_SCORE between
   them, and on one side used by no more than TYPO_WORD_MAX_SUPPLIERS suppliers (WALKER / WALTER are two
   surnames, each used by many suppliers; WLAKER is a typo; in "SDI INTERNATIONAL" / "SHI INTERNATIONAL" the
   long shared word makes the names similar, the short differing ones are different companies). Only when
   the legal forms agree (the same kind: INC, CORP and CO are one; or one side names none) and the numbers in
   the names are the same. Each cluster links to its best candidate only (no chains of "similar to
   similar"); a cluster whose best candidates belong to suppliers that cannot be one (different tax ids or
   legal forms) is ambiguous and stays apart, saying so in its evidence.

The veto: two records with different tax ids are never in one cluster, also not through a third record
without a tax id: union-find refuses a link between clusters that carry different tax ids, and a name link
between clusters whose legal forms are of different kinds (ACME LLC and ACME INC are different companies
unless their tax id says otherwise). Links are applied in a fixed order (step, then score, then supplier
ids), so the result does not depend on the order of the input rows.

The key: the md5 of 'tax:' and the cluster's tax id when it has one (the same key the v1 dbt rule gave, so the
keys of suppliers with a tax id do not move), else of 'name:' and the smallest normalised name among its
records. A hash, never the tax id itself; the evidence never names a tax id either.

Memory: only the supplier records (id, name, tax id) are held in Python; no fact table is read.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable, Iterable, Mapping

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from warehouse.connection import connect

# ------------------------------------------------------------------------------------------------ thresholds
# How they were chosen: pairwise precision / recall against the generator's truth (supplier_entities.csv) at
# scale 0.02 (the default data, 312 records), 1 (14k) and 4 (57k records), as generated and with a dirty
# record without a tax id added for 30 % of the suppliers (a one-letter typo: deleted, changed or swapped
# letters; the legal form dropped; both; upper case with a leading space as Nevada writes them), and by
# reading every link on the slices of Nevada's real exports (tests/fixtures/nevada_epro, 6,267 records).
# With the values below: generated data P = R = 1.000 at every scale (at scale 4 one false pair: the generator
# gave two suppliers the same tax id); dirty records P 0.997 / R 0.888 (scale 1), 0.996 / 0.874 (scale 4), the
# misses being mostly dropped legal forms that fit several suppliers and typos in names under 8 letters;
# Nevada: no fuzzy link (its near names are different companies), the same 325 linked records as v1.
# - SCORER: rapidfuzz's ratio. token_sort_ratio scores different suppliers of the truth that differ only in
#   word order ("Welch-Duncan" / "Duncan-Welch") 100 and measured P 0.993 / R 0.867 on the dirty scale 4;
#   WRatio the same as ratio at scale 1, four times slower.
SCORER = fuzz.ratio
# - FUZZY_MIN_SCORE: ratio of the two cores. With the typo rules below, 85, 88 and 92 give the same precision
#   and 88 recall +1.5 points over 92. With only the rarity rule, Nevada's slice had 7 false links at 92
#   ("SDI INTERNATIONAL" ~ "SHI INTERNATIONAL", "TIMMONS GROUP" ~ "SIMMONS GROUP", "MHI" ~ "MIA CONSULTING").
FUZZY_MIN_SCORE = 88.0
# - FUZZY_MIN_LENGTH: cores shorter than this (in characters) must be equal to link: one letter is a large
#   part of a short name (HANSEN / HANSON). 5: precision -0.06 points for recall +0.4; 12: recall -1.6.
FUZZY_MIN_LENGTH = 8
# - TYPO_WORD_MAX_SUPPLIERS: a differing word counts as a possible typo when at most this many suppliers
#   (clusters, this one included) use it. Without the rule 23 false links at scale 1 and 157 at scale 4
#   (Walter / Walker and Sons, Johnson / Johnston Ltd, Clark / Clarke); 1 cost 3-4 points of recall (the
#   same typo made twice); 5 let a surname pair through at scale 1 for +0.4 recall.
TYPO_WORD_MAX_SUPPLIERS = 3
# - TYPO_WORD_MIN_LENGTH, TYPO_WORD_MIN_SCORE: the differing words are at least this long and this similar
#   (ratio): short words are acronyms and initials (MHI / MIA CONSULTING); 75 cost 0.05 points of precision
#   at scale 4, 85 lost 5 points of recall (a changed letter in a 6-letter word scores 83).
TYPO_WORD_MIN_LENGTH = 4
TYPO_WORD_MIN_SCORE = 80.0
# - AMBIGUITY_MARGIN: candidates within this many points of the best one count as equally good; when they
#   cannot all be one supplier the cluster links to none of them (precision over recall for a tie).
AMBIGUITY_MARGIN = 2.0
# - BLOCK_PREFIX: blocking key = this many leading letters of the core's first and of its last word; a typo
#   in both the first three letters of the first word and of the last word is not found.
BLOCK_PREFIX = 3
# Rows of a block compared at once (memory: QUERY_CHUNK x block size float32 scores) and threads.
QUERY_CHUNK = 1024
WORKERS = 2

# ------------------------------------------------------------------------------------------------ names
# Spellings of one legal form -> the one kept. Punctuation is removed before (L.L.C. -> LLC, P.L.C. -> PLC).
_CANON = {
    "INCORPORATED": "INC", "CORPORATION": "CORP", "LIMITED": "LTD", "COMPANY": "CO", "CORPORATED": "INC",
    "GRP": "GROUP", "SVCS": "SERVICES", "SVC": "SERVICE", "BROS": "BROTHERS", "INTL": "INTERNATIONAL",
    "MFG": "MANUFACTURING", "DEPT": "DEPARTMENT", "CTR": "CENTER", "CENTRE": "CENTER", "NATL": "NATIONAL",
}
LEGAL_FORMS = frozenset({"INC", "CORP", "LLC", "LTD", "CO", "PLC", "LLP", "LP", "LLLP", "PLLC", "PC"})
# Legal forms naming the same kind of entity: a US corporation writes Inc, Corp or Co interchangeably
# ("Maxwell Products, Inc." / "Maxwell Products Corp." in Nevada's vendor file); LLC, Ltd, PLC, LLP... are
# each another kind (the generator's "Hernandez Ltd" and "Hernandez LLC" are two suppliers).
_LEGAL_KIND = {"INC": "CORP", "CORP": "CORP", "CO": "CORP"}
_PLACEHOLDER_TAX = frozenset({"UNKNOWN", "NONE", "PENDING", "APPLIEDFOR", "EXEMPT", "NOTAPPLICABLE", "123456789"})
_MIN_TAX_LENGTH = 5
_DOTS = re.compile(r"[.,]")
_NON_WORD = re.compile(r"[^A-Z0-9]+")
_NON_ALNUM = re.compile(r"[^A-Z0-9]")

METHODS = ("tax_id", "exact_name", "fuzzy_name", "singleton")
_STEP_ORDER = {"tax_id": 0, "exact_name": 1, "fuzzy_name": 2}

TABLE = "resolution.supplier_matches"
DDL = f"""
CREATE OR REPLACE TABLE {TABLE} (
  supplier_id VARCHAR NOT NULL PRIMARY KEY,
  supplier_key VARCHAR NOT NULL,
  key_basis VARCHAR NOT NULL,
  method VARCHAR NOT NULL,
  score DECIMAL(5,2),
  matched_supplier_id VARCHAR,
  evidence VARCHAR NOT NULL,
  cluster_size INTEGER NOT NULL,
  _loaded_at TIMESTAMP
)
"""
COLUMNS = ("supplier_id", "supplier_key", "key_basis", "method", "score", "matched_supplier_id", "evidence",
           "cluster_size", "_loaded_at")


def normalise_name(name: str | None) -> str:
    """Upper-case ASCII words: accents and apostrophes dropped, & -> AND, dots and commas removed (so L.L.C. ->
    LLC), other punctuation -> space, runs of single letters joined (L L C -> LLC), legal forms and a few
    abbreviations spelled one way, a leading THE dropped. '' for no name."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").upper()
    s = s.replace("'", "").replace("&", " AND ")
    s = _DOTS.sub("", s)
    words = _NON_WORD.sub(" ", s).split()
    joined: list[str] = []
    run: list[str] = []
    for w in words + [""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if run:
            joined.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if w:
            joined.append(w)
    words = [_CANON.get(w, w) for w in joined]
    if len(words) > 1 and words[0] == "THE":
        words = words[1:]
    return " ".join(words)


def split_legal_form(canon: str) -> tuple[str, frozenset[str]]:
    """(core, legal forms): the normalised name without its legal-form words (anywhere but first: source
    systems append words after them, "JACKSON LLC SUPPLY"; and an AND left before a trailing one: SMITH AND CO
    -> SMITH), and those forms. A name that is only legal forms keeps them as its core."""
    words = canon.split()
    legal = frozenset(w for w in words[1:] if w in LEGAL_FORMS)
    if not legal:
        return canon, legal
    core = [words[0]] + [w for w in words[1:] if w not in LEGAL_FORMS]
    if len(core) > 1 and core[-1] == "AND" and words[-1] in LEGAL_FORMS:
        core.pop()
    if len(core) == 1 and core[0] in LEGAL_FORMS:
        return canon, frozenset()
    return " ".join(core), legal


def legal_kinds(legal: frozenset[str]) -> frozenset[str]:
    """The kinds of entity the legal forms name (INC, CORP and CO are one kind)."""
    return frozenset(_LEGAL_KIND.get(f, f) for f in legal)


def clean_tax_id(tax_id: str | None) -> str | None:
    """Letters and digits only, upper case; None for no tax id or a placeholder."""
    if not tax_id:
        return None
    t = _NON_ALNUM.sub("", tax_id.upper())
    if len(t) < _MIN_TAX_LENGTH or len(set(t)) == 1 or t in _PLACEHOLDER_TAX:
        return None
    return t


def _hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------ records
@dataclass(frozen=True)
class SupplierRecord:
    supplier_id: str
    supplier_name: str | None
    tax_id: str | None  # as received (only used to resolve, never written)


@dataclass
class _Rec:
    sid: str
    name: str
    canon: str
    core: str
    legal: frozenset[str]  # kinds of legal form (legal_kinds)
    digits: frozenset[str]
    tax: str | None
    tax_forms: tuple[str, ...]  # forms of the tax id to keep out of the evidence


@dataclass
class _Edge:
    a: int
    b: int
    method: str
    score: float


class _Clusters:
    """Union-find over records, refusing links that would put two tax ids (or, for a name link, two different
    legal forms) into one cluster."""

    def __init__(self, recs: list[_Rec]):
        self.parent = list(range(len(recs)))
        self.tax = [r.tax for r in recs]
        self.legal = [set(r.legal) for r in recs]

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def compatible(self, a: int, b: int, by_name: bool) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.tax[ra] and self.tax[rb] and self.tax[ra] != self.tax[rb]:
            return False
        if by_name and self.legal[ra] and self.legal[rb] and not (self.legal[ra] & self.legal[rb]):
            return False
        return True

    def union(self, a: int, b: int, by_name: bool) -> bool:
        """Join the clusters of a and b; False (and nothing changes) when they are one already or vetoed."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or not self.compatible(ra, rb, by_name):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.tax[keep] = self.tax[keep] or self.tax[gone]
        self.legal[keep] |= self.legal[gone]
        return True


@dataclass
class ResolutionReport:
    records: int = 0
    clusters: int = 0
    multi_record_clusters: int = 0
    by_method: dict[str, int] = field(default_factory=dict)  # records per method
    links: dict[str, int] = field(default_factory=dict)  # accepted links per method
    vetoed: int = 0  # candidate links refused because of a tax id (or legal form) conflict
    ambiguous: int = 0  # records left apart because their name fits suppliers that cannot be one
    seconds: float = 0.0

    def summary(self) -> str:
        methods = ", ".join(f"{m} {self.by_method.get(m, 0)}" for m in METHODS)
        return (f"{self.records} supplier records -> {self.clusters} suppliers "
                f"({self.multi_record_clusters} with several records); records by method: {methods}; "
                f"{self.vetoed} link(s) vetoed, {self.ambiguous} ambiguous record(s); {self.seconds:.2f} s")


@dataclass
class Resolution:
    rows: list[dict]
    report: ResolutionReport


def _quote(s: str) -> str:
    return "'" + s + "'"


def _prepare(records: Iterable[SupplierRecord]) -> list[_Rec]:
    recs = []
    records = sorted(records, key=lambda r: r.supplier_id)
    duplicated = sorted({a.supplier_id for a, b in zip(records, records[1:]) if a.supplier_id == b.supplier_id})
    if duplicated:
        raise ValueError(f"supplier_id must be unique (one version per record): {', '.join(duplicated[:5])}")
    for r in records:
        name = (r.supplier_name or "").strip()
        canon = normalise_name(name)
        core, legal = split_legal_form(canon)
        raw_tax = (r.tax_id or "").strip()
        tax = clean_tax_id(raw_tax)
        forms = tuple(f for f in {raw_tax, tax or "", re.sub(r"[^0-9A-Za-z]", "", raw_tax)} if len(f) >= 4)
        recs.append(_Rec(r.supplier_id, name, canon, core, legal_kinds(legal),
                         frozenset(w for w in core.split() if w.isdigit()), tax, forms))
    return recs


def _blocks(cores: list[str]) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, core in enumerate(cores):
        words = core.split()
        for key in {words[0][:BLOCK_PREFIX], words[-1][:BLOCK_PREFIX]}:
            blocks[key].append(i)
    return blocks


def _similar_cores(cores: list[str]) -> dict[tuple[int, int], float]:
    """Pairs (i < j) of distinct cores in a common block with SCORER >= FUZZY_MIN_SCORE, both at
    least FUZZY_MIN_LENGTH long."""
    out: dict[tuple[int, int], float] = {}
    long_enough = [i for i, c in enumerate(cores) if len(c) >= FUZZY_MIN_LENGTH]
    for _, members in sorted(_blocks([cores[i] for i in long_enough]).items()):
        if len(members) < 2:
            continue
        idx = np.array([long_enough[m] for m in members])
        choices = [cores[i] for i in idx]
        for start in range(0, len(idx), QUERY_CHUNK):
            scores = process.cdist(choices[start:start + QUERY_CHUNK], choices, scorer=SCORER,
                                   score_cutoff=FUZZY_MIN_SCORE, workers=WORKERS)
            rows, cols = np.nonzero(scores)
            for r, c in zip(rows.tolist(), cols.tolist()):
                i, j = int(idx[start + r]), int(idx[c])
                if i < j:
                    out[(i, j)] = float(scores[r, c])
    return out


def resolve_records(records: Iterable[SupplierRecord]) -> Resolution:
    """Resolve supplier records (pure: no warehouse). One output row per supplier_id."""
    t0 = time.perf_counter()
    recs = _prepare(records)
    n = len(recs)
    uf = _Clusters(recs)
    edges: list[_Edge] = []
    report = ResolutionReport(records=n)
    ambiguous: dict[int, str] = {}

    def link(a: int, b: int, method: str, score: float) -> None:
        if uf.union(a, b, by_name=method != "tax_id"):
            edges.append(_Edge(a, b, method, score))
        elif uf.find(a) != uf.find(b):
            report.vetoed += 1

    # 1. tax id
    by_tax: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        if r.tax:
            by_tax[r.tax].append(i)
    for members in by_tax.values():
        for i in members[1:]:
            link(members[0], i, "tax_id", 100.0)

    # 2. exact normalised name
    by_canon: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        if r.canon:
            by_canon[r.canon].append(i)
    for canon, members in sorted(by_canon.items()):
        if len(members) < 2:
            continue
        taxes = {uf.tax[uf.find(i)] for i in members} - {None}
        if len(taxes) <= 1:
            for i in members[1:]:
                link(members[0], i, "exact_name", 100.0)
            continue
        untaxed = [i for i in members if uf.tax[uf.find(i)] is None]
        for i in untaxed[1:]:
            link(untaxed[0], i, "exact_name", 100.0)
        for i in untaxed:
            ambiguous[i] = (f"ambiguous: the normalised name {_quote(canon)} is shared by {len(taxes)} suppliers "
                            f"with different tax ids; not linked to any of them")

    # 3. names without the legal form: equal or similar (SCORER), across clusters
    core_index: dict[str, int] = {}
    cores: list[str] = []
    core_members: list[list[int]] = []
    for i, r in enumerate(recs):
        if not r.core:
            continue
        if r.core not in core_index:
            core_index[r.core] = len(cores)
            cores.append(r.core)
            core_members.append([])
        core_members[core_index[r.core]].append(i)
    core_pairs = [(k, k, 100.0) for k in range(len(cores))]
    core_pairs += [(i, j, s) for (i, j), s in _similar_cores(cores).items()]

    # best candidates per cluster root: root -> {other root: (score, a, b)} with a in root, b in other
    cand: dict[int, dict[int, tuple[float, int, int]]] = defaultdict(dict)

    # which suppliers (clusters) use each word of a core: a word that no other supplier uses may be a typo
    users: dict[str, set[int]] = defaultdict(set)
    for i, r in enumerate(recs):
        root = uf.find(i)
        for w in r.core.split():
            if len(users[w]) <= TYPO_WORD_MAX_SUPPLIERS:
                users[w].add(root)

    def typo_side(x: _Rec, y: _Rec) -> bool:
        words = set(x.core.split()) - set(y.core.split())
        return bool(words) and all(len(users[w]) <= TYPO_WORD_MAX_SUPPLIERS for w in words)

    def looks_like_typo(x: _Rec, y: _Rec) -> bool:
        """The words that differ are a misspelling of each other: as long as TYPO_WORD_MIN_LENGTH, the same
        first letter, similar (SCORER >= TYPO_WORD_MIN_SCORE), and on one side rare (typo_side)."""
        wx, wy = x.core.split(), y.core.split()
        dx, dy = [w for w in wx if w not in wy], [w for w in wy if w not in wx]
        if not dx or not dy or min(len(w) for w in dx + dy) < TYPO_WORD_MIN_LENGTH:
            return False
        a, b = " ".join(dx), " ".join(dy)
        return a[0] == b[0] and SCORER(a, b) >= TYPO_WORD_MIN_SCORE and (typo_side(x, y) or typo_side(y, x))

    def consider(a: int, b: int, score: float) -> None:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb or not uf.compatible(a, b, by_name=True):
            return
        ra_, rb_ = recs[a], recs[b]
        if ra_.legal and rb_.legal and not (ra_.legal & rb_.legal):
            return
        if ra_.digits != rb_.digits:
            return
        if ra_.core != rb_.core and not looks_like_typo(ra_, rb_):
            return
        for x, y, rx, ry in ((a, b, ra, rb), (b, a, rb, ra)):
            old = cand[rx].get(ry)
            if old is None or (score, -x, -y) > (old[0], -old[1], -old[2]):
                cand[rx][ry] = (score, x, y)

    for ci, cj, score in core_pairs:
        left = core_members[ci]
        right = core_members[cj]
        # one representative record per cluster and legal form on each side keeps this linear in the records
        reps_l = {(uf.find(i), recs[i].legal): i for i in reversed(left)}
        reps_r = reps_l if ci == cj else {(uf.find(i), recs[i].legal): i for i in reversed(right)}
        for (rl, _), a in sorted(reps_l.items(), key=lambda kv: kv[1]):
            for (rr, _), b in sorted(reps_r.items(), key=lambda kv: kv[1]):
                if rl != rr and (ci != cj or a < b):
                    consider(a, b, score)

    members_of: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members_of[uf.find(i)].append(i)
    chosen: dict[tuple[int, int], tuple[float, int, int]] = {}
    for root, others in sorted(cand.items()):
        best = max(s for s, _, _ in others.values())
        top = sorted(o for o, (s, _, _) in others.items() if s >= best - AMBIGUITY_MARGIN)
        if any(not uf.compatible(x, y, by_name=True) for k, x in enumerate(top) for y in top[k + 1:]):
            for i in members_of.get(root, ()):
                ambiguous.setdefault(i, f"ambiguous: the name fits {len(top)} suppliers that cannot be one "
                                        f"(different tax ids or legal forms); not linked to any of them")
            continue
        other = min(top, key=lambda o: (-others[o][0], others[o][1], others[o][2]))
        score, a, b = others[other]
        chosen[(min(a, b), max(a, b))] = (score, a, b)
    ambiguous_roots = {uf.find(i) for i in ambiguous}
    for (lo, hi), (score, a, b) in sorted(chosen.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if uf.find(a) in ambiguous_roots or uf.find(b) in ambiguous_roots:
            continue
        if recs[a].core == recs[b].core:
            link(a, b, "exact_name", 100.0)
        else:
            link(a, b, "fuzzy_name", score)

    rows = _rows(recs, uf, edges, ambiguous)
    report.links = dict(Counter(e.method for e in edges))
    report.by_method = dict(Counter(r["method"] for r in rows))
    sizes = Counter(r["supplier_key"] for r in rows)
    report.clusters = len(sizes)
    report.multi_record_clusters = sum(1 for s in sizes.values() if s > 1)
    report.ambiguous = sum(1 for r in rows if r["evidence"].startswith("ambiguous"))
    report.seconds = time.perf_counter() - t0
    return Resolution(rows, report)


def _rows(recs: list[_Rec], uf: _Clusters, edges: list[_Edge], ambiguous: dict[int, str]) -> list[dict]:
    adjacency: dict[int, list[_Edge]] = defaultdict(list)
    for e in edges:
        adjacency[e.a].append(e)
        adjacency[e.b].append(e)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(recs)):
        members[uf.find(i)].append(i)

    def describe(e: _Edge, me: int) -> str:
        r, o = recs[me], recs[e.b if e.a == me else e.a]
        names = f"{_quote(r.name)} ({r.sid}) / {_quote(o.name)} ({o.sid})"
        if e.method == "tax_id":
            text = f"same tax id: {names}; names {SCORER.__name__} {SCORER(r.canon, o.canon):.1f}"
        elif r.canon == o.canon:
            text = f"same normalised name {_quote(r.canon)}: {names}"
        elif r.core == o.core:
            text = f"same name without the legal form {_quote(r.core)}: {names}"
        else:
            text = (f"name {_quote(r.name)} ({r.sid}) ~ {_quote(o.name)} ({o.sid}): "
                    f"{SCORER.__name__} {e.score:.1f} of {_quote(r.core)} / {_quote(o.core)}")
        for form in r.tax_forms + o.tax_forms:  # a name that carries its tax id
            text = text.replace(form, "[tax id]")
        return text

    keys: dict[int, str] = {}
    basis: dict[int, str] = {}
    for root, ids in members.items():
        tax = uf.tax[root]
        names = sorted(recs[i].canon for i in ids if recs[i].canon)
        basis[root] = "tax_id" if tax else "name"
        keys[root] = (_hash(f"tax:{tax}") if tax else _hash(f"name:{names[0]}") if names
                      else _hash(f"id:{recs[root].sid}"))
    counts = Counter(keys.values())
    if len(counts) != len(keys):  # cannot happen (see the module doc); never let two suppliers share a key
        keys = {root: k if counts[k] == 1 else _hash(f"id:{recs[root].sid}") for root, k in keys.items()}

    def strength(e: _Edge) -> tuple:
        return _STEP_ORDER[e.method], -e.score, recs[e.a].sid, recs[e.b].sid

    rows: list[dict] = []
    for root, ids in members.items():
        size = len(ids)

        def row(i: int, method: str, score: float | None, matched: int | None, evidence: str) -> dict:
            return {"supplier_id": recs[i].sid, "supplier_key": keys[root], "key_basis": basis[root],
                    "method": method, "score": None if score is None else round(score, 2),
                    "matched_supplier_id": None if matched is None else recs[matched].sid,
                    "evidence": evidence, "cluster_size": size}

        if size == 1:
            i = ids[0]
            rows.append(row(i, "singleton", None, None,
                            ambiguous.get(i, "no other record with the same tax id or a similar name")))
            continue
        # root the cluster's tree of links at its anchor (the smallest supplier_id): every other record names
        # the record it was linked to, strongest links first
        anchor = min(ids, key=lambda i: recs[i].sid)
        parent: dict[int, _Edge | None] = {anchor: None}
        queue = deque([anchor])
        while queue:
            cur = queue.popleft()
            for e in sorted(adjacency[cur], key=strength):
                nxt = e.b if e.a == cur else e.a
                if nxt not in parent:
                    parent[nxt] = e
                    queue.append(nxt)
        for i in ids:
            e = parent[i]
            if e is None:  # the anchor: described by its strongest link
                e = min(adjacency[i], key=strength)
                rows.append(row(i, e.method, e.score, None, f"anchor of {size} records; " + describe(e, i)))
            else:
                rows.append(row(i, e.method, e.score, e.b if e.a == i else e.a, describe(e, i)))
    rows.sort(key=lambda r: r["supplier_id"])
    return rows


# ------------------------------------------------------------------------------------------------ warehouse
LATEST_SUPPLIERS_SQL = """
SELECT supplier_id, supplier_name, tax_id, _loaded_at
FROM (
    SELECT
        nullif(trim(supplier_id), '') AS supplier_id,
        supplier_name,
        tax_id,
        _loaded_at,
        row_number() OVER (
            PARTITION BY nullif(trim(supplier_id), '')
            ORDER BY _loaded_at DESC NULLS LAST, _load_id DESC NULLS LAST, _row_number DESC NULLS LAST
        ) AS version_rank
    FROM raw.suppliers
)
WHERE version_rank = 1 AND supplier_id IS NOT NULL
ORDER BY supplier_id
"""


def resolve_suppliers(warehouse_path: Path | None = None) -> ResolutionReport:
    """Resolve the latest version of every record of raw.suppliers and replace resolution.supplier_matches
    (in one transaction: readers see the old table or the new one).

    Every row's _loaded_at is the latest load of raw.suppliers the resolution reflects: the facts incremental
    by period (dbt macro incremental_by_period) read max(_loaded_at) of every source upstream of them, so a
    resolution of newer supplier loads rewrites their periods like a raw load does."""
    t0 = time.perf_counter()
    with connect(warehouse_path) as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'suppliers'"
        ).fetchall()[0][0]
        rows = con.execute(LATEST_SUPPLIERS_SQL).fetchall() if exists else []
        loaded_through = max((r[3] for r in rows if r[3] is not None), default=None)
        resolution = resolve_records(SupplierRecord(r[0], r[1], r[2]) for r in rows)
        frame = pl.DataFrame(resolution.rows, schema={
            "supplier_id": pl.Utf8, "supplier_key": pl.Utf8, "key_basis": pl.Utf8, "method": pl.Utf8,
            "score": pl.Float64, "matched_supplier_id": pl.Utf8, "evidence": pl.Utf8, "cluster_size": pl.Int32,
        })
        con.register("_supplier_matches", frame.to_arrow())
        con.execute("CREATE SCHEMA IF NOT EXISTS resolution")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(DDL)
            con.execute(
                f"INSERT INTO {TABLE} SELECT supplier_id, supplier_key, key_basis, method, "
                "CAST(score AS DECIMAL(5,2)), matched_supplier_id, evidence, cluster_size, CAST(? AS TIMESTAMP) "
                "FROM _supplier_matches ORDER BY supplier_id",
                [loaded_through],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_supplier_matches")
    report = resolution.report
    report.seconds = time.perf_counter() - t0
    return report


# ------------------------------------------------------------------------------------------------ measure
def pairwise_scores(
    matches: Mapping[str, Hashable], truth: Mapping[str, Hashable]
) -> tuple[float, float, int, int, int]:
    """Pairwise precision and recall of a resolution against the truth: (precision, recall, tp, fp, fn).

    A pair is two records (supplier_id) of the truth; predicted when they share a key in `matches`, true when
    they share an entity in `truth`. Records of `matches` that the truth does not know are left out; records of
    the truth missing from `matches` count as unresolved singletons. Precision is 1 when nothing is predicted,
    recall 1 when there is nothing to find."""
    def pairs(counts: Iterable[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    pred = {sid: ("k", matches[sid]) if sid in matches else ("missing", sid) for sid in truth}
    predicted = pairs(Counter(pred.values()).values())
    true = pairs(Counter(truth.values()).values())
    tp = pairs(Counter((pred[sid], truth[sid]) for sid in truth).values())
    fp, fn = predicted - tp, true - tp
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    return precision, recall, tp, fp, fn
