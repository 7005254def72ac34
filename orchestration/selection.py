"""What a daily run builds: everything, or only what depends on the entities whose data changed.

warehouse/fingerprint.check_up_to_date compares the warehouse with the current snapshot. When only data changed
(same code and settings) it names the entities that changed since that snapshot: new landing files, and loads
the snapshot was not built from (files the landing sensor loaded since, retractions). The run then materialises
- the raw assets of those entities (ingestion loads only their new files),
- everything downstream of them: the supplier resolution when suppliers changed, the dbt models that read them
  (directly or through other models) with their tests and gate checks, and the snapshot,
- [raw, payments], the asset the load ledger's own contract is checked on (orchestration/defs/gate/checks.py),
  so every run that loads files checks the ledger,
and nothing else: a model none of whose inputs changed keeps its table, which already reflects its inputs (the
snapshot vouches for them, and its gate evaluation still stands). Inside the selected facts, only the fiscal
months touched by the new loads are rewritten (orchestration/defs/transform/assets.py).

The run carries the tag CHANGED_TAG (the entities, comma-separated): the dbt step checks that every model upstream
of the facts that depends on one of them is part of the run, before it lets the facts build incrementally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg

from orchestration.defs.gate.checks import LEDGER_CHECK_ASSET

CHANGED_TAG = "procure/changed"
SNAPSHOT_KEY = dg.AssetKey(["published", "snapshot"])


def raw_keys(entities: Iterable[str]) -> list[dg.AssetKey]:
    return [dg.AssetKey(["raw", e]) for e in sorted(entities)]


def changed_selection(entities: Iterable[str]) -> dg.AssetSelection:
    """The assets a run must materialise when only these entities' data changed."""
    return dg.AssetSelection.assets(*raw_keys(entities)).downstream() | dg.AssetSelection.assets(
        LEDGER_CHECK_ASSET, SNAPSHOT_KEY)


def changed_tags(entities: Iterable[str]) -> dict[str, str]:
    return {CHANGED_TAG: ",".join(sorted(entities))}


def tagged_entities(tags: dict[str, str]) -> list[str] | None:
    """The entities a run was launched for (None: not a run limited to changed entities)."""
    value = tags.get(CHANGED_TAG)
    return None if value is None else [e for e in value.split(",") if e]


def rebuilt_since(instance: dg.DagsterInstance, since: datetime | None) -> list[dg.AssetKey]:
    """Assets materialised after the current snapshot was published (a backfill, a Materialize from the UI, the
    landing sensor's ingestion, a run that stopped before publishing): the snapshot does not vouch for their tables,
    and their gate checks may not have run since."""
    if since is None:
        return []
    cutoff = since.timestamp()
    keys = [r.asset_entry.asset_key for r in instance.get_asset_records()
            if r.asset_entry.last_materialization is not None and r.asset_entry.last_materialization.timestamp > cutoff]
    return sorted((k for k in keys if k != SNAPSHOT_KEY), key=lambda k: k.to_user_string())


@dataclass
class Plan:
    """What a daily run has to do, decided before it starts."""
    up_to_date: bool            # nothing to build: the current snapshot stays current
    reason: str                 # why, in words
    changed: list[str] | None   # entities whose data changed since the snapshot; None: build everything
    rebuilt: list[dg.AssetKey] = field(default_factory=list)  # assets materialised since the snapshot
    full_refresh: bool = False  # rebuild the facts from raw: loads were retracted since the snapshot

    def entities(self) -> list[str]:
        """The changed entities, and those whose raw asset was materialised since the snapshot."""
        return sorted(set(self.changed or ()) | {k.path[-1] for k in self.rebuilt if k.path[0] == "raw"})


def plan(freshness, instance: Callable[[], dg.DagsterInstance]) -> Plan:
    """The plan for a run given warehouse/fingerprint.check_up_to_date's answer and the Dagster instance (a
    callable: opened only when needed)."""
    if freshness.changed is None:
        return Plan(False, freshness.reason, None, full_refresh=bool(freshness.retracted))
    rebuilt = rebuilt_since(instance(), freshness.snapshot_at)
    if freshness.up_to_date and not rebuilt:
        return Plan(True, freshness.reason, [])
    reason = freshness.reason if not freshness.up_to_date else ""
    if rebuilt:
        names = ", ".join(k.to_user_string() for k in rebuilt[:5]) + (f" and {len(rebuilt) - 5} more" if len(rebuilt) > 5 else "")
        reason = "; ".join(filter(None, [reason, f"{len(rebuilt)} asset(s) materialised since snapshot "
                                                 f"{freshness.snapshot_id} was published: {names}"]))
    return Plan(False, reason, freshness.changed, rebuilt)


def run_selection(the_plan: Plan, asset_graph) -> tuple[list[dg.AssetKey] | None, dict[str, str], str]:
    """(asset keys to materialise or None for everything, extra run tags, what the run builds in words)."""
    total = len(asset_graph.materializable_asset_keys)
    if the_plan.changed is None:
        return None, {}, f"everything ({total} assets)"
    entities = the_plan.entities()
    rebuilt = [k for k in the_plan.rebuilt if k.path[0] != "raw" and asset_graph.has(k)]
    selection = changed_selection(entities)
    if rebuilt:
        selection |= dg.AssetSelection.assets(*rebuilt).downstream()
    keys = selection.resolve(asset_graph)
    names = entities + [k.to_user_string() for k in rebuilt]
    what = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    if len(keys) >= total:
        return None, {}, f"everything ({total} assets): what changed ({what}) reaches every asset"
    return (sorted(keys, key=lambda k: k.to_user_string()), changed_tags(entities),
            f"what depends on {what}: {len(keys)} of {total} assets")
