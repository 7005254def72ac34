"""dbt: staging -> intermediate -> marts -> kpi, built (with their data tests) by `dbt build`.

One dbt multi-asset. The four high-volume facts (FACT_MODELS) are partitioned by fiscal month and incremental
by period (dbt_project/macros/incremental_by_period.sql); every other model is unpartitioned: the translator
gives the facts' specs the partitions definition. Why not a separate @dbt_assets for the facts: they sit between
staging and the KPIs, so Dagster would split the other multi-asset around them (with the blocking gate checks:
4 + 2 dbt invocations per daily run instead of 1), and dbt's eager test selection would then run relationship
tests in a step where one of their tables is not built yet (it failed on a fresh warehouse).

How a run builds the facts:
- a daily run (procure_job from `procure run` or the schedule, of everything or of what depends on the
  entities that changed: orchestration/selection.py) targets every fiscal month and carries the tag
  procure/facts=incremental (orchestration/partitions.py says why it cannot simply be unpartitioned): no dbt
  vars, so only the months touched by rows loaded since the facts' last build are rewritten (every month on
  the first build); Dagster then records every month as materialised by that run, which is true: all are
  up to date;
- any other run with a partition key or range (a backfill; BackfillPolicy.single_run: N months = one dbt call):
  `dbt build --vars {period_start, period_end}` rewrites exactly those months;
- with resource dbt_options.full_refresh (`procure run --full-refresh`): `--full-refresh`, every month.
The months each build rewrote are logged.
"""

import functools
import json
import shutil
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.locking import hold_warehouse
from orchestration.partitions import FACTS_INCREMENTAL, FACTS_MODE_TAG, FISCAL_MONTHS
from orchestration.project import dbt_project
from orchestration.resources import DbtOptions
from orchestration.selection import raw_keys, tagged_entities

DBT_TARGET_PREFIX = "dbt_models"  # the multi-asset's name: dagster-dbt names its target folders <name>-<ids>
FACT_MODELS = ("fct_payments", "fct_invoices", "fct_purchase_order_lines", "fct_coop_sales")

FISCAL_MONTH_NOTE = (
    "\n\nPartitioned by fiscal month. The partition key is the calendar month (its first day, the period_month "
    "column): every state's fiscal year starts on a month boundary, so a calendar month is exactly one fiscal "
    "month of every state (fiscal_year / fiscal_month give it in each state's calendar). A backfill of some "
    "months rewrites exactly those months in one dbt call. The daily run (procure_job: `procure run`, the "
    "daily_procure_run schedule) spans every month but rewrites only the months touched by rows loaded since "
    "the last build; `procure run --full-refresh` rebuilds every month."
)


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props):
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
        return schema or "dbt"

    def get_partitions_def(self, dbt_resource_props):
        if dbt_resource_props.get("resource_type") == "model" and dbt_resource_props.get("name") in FACT_MODELS:
            return FISCAL_MONTHS
        return None

    def get_description(self, dbt_resource_props):
        description = super().get_description(dbt_resource_props)
        if dbt_resource_props.get("resource_type") == "model" and dbt_resource_props.get("name") in FACT_MODELS:
            description += FISCAL_MONTH_NOTE
        return description


TRANSLATOR = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@functools.cache
def upstream_of_facts() -> frozenset[dg.AssetKey]:
    """Asset keys of every dbt model and seed upstream of the facts (from the manifest)."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    nodes = manifest["nodes"]
    todo = [uid for uid, n in nodes.items() if n["resource_type"] == "model" and n["name"] in FACT_MODELS]
    seen: set[str] = set()
    while todo:
        for parent in nodes[todo.pop()]["depends_on"]["nodes"]:
            if parent in nodes and parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return frozenset(
        TRANSLATOR.get_asset_key(nodes[uid]) for uid in seen
        if nodes[uid]["resource_type"] in ("model", "seed", "snapshot") and nodes[uid]["name"] not in FACT_MODELS
    )


def _downstream_of_sources(keys: set[dg.AssetKey]) -> frozenset[dg.AssetKey]:
    """Asset keys of every dbt model and seed that reads (directly or through other models) a dbt source whose
    asset key is in `keys` (from the manifest)."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    todo = [uid for uid, source in manifest["sources"].items() if TRANSLATOR.get_asset_key(source) in keys]
    seen: set[str] = set()
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return frozenset(TRANSLATOR.get_asset_key(nodes[uid]) for uid in seen
                     if uid in nodes and nodes[uid]["resource_type"] in ("model", "seed", "snapshot"))


def _models_the_facts_need(context: dg.AssetExecutionContext) -> frozenset[dg.AssetKey]:
    """The models upstream of the facts that must be built in this run before the facts may build incrementally:
    all of them, or, in a run launched for the entities that changed (orchestration/selection.py), those that
    read one of them or another source this run rebuilds (the supplier resolution): the others already reflect
    every load of their inputs."""
    entities = tagged_entities(context.run.tags)
    if entities is None:
        return upstream_of_facts()
    # the raw data of those entities, and the other sources the run rebuilds from them (not [raw, payments],
    # which every such run selects for the load ledger's check without new payment files)
    changed = set(raw_keys(entities)) | {k for k in context.run.asset_selection or () if k.path[0] != "raw"}
    return upstream_of_facts() & _downstream_of_sources(changed)


def _dbt_args(dbt_options: DbtOptions) -> list[str]:
    # dbt's unit tests check the SQL's logic on fixed inputs, not the data: they run in the test suite
    # (tests/dbt, every commit), not in every production build (46 nodes of fixed cost per run).
    args = ["build", "--exclude-resource-type", "unit_test"]
    return args + ["--full-refresh"] if dbt_options.full_refresh else args


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=TRANSLATOR,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
    name=DBT_TARGET_PREFIX,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, dbt_options: DbtOptions):
    hold_warehouse(context)
    args = _dbt_args(dbt_options)
    facts = [k for k in context.selected_asset_keys if k.path[-1] in FACT_MODELS]
    incremental = context.run.tags.get(FACTS_MODE_TAG) == FACTS_INCREMENTAL
    if facts and incremental and not _models_the_facts_need(context) <= context.selected_asset_keys:
        # The incremental rule reads raw loads but builds from the upstream tables: built without them it could
        # advance the watermark past loads those tables do not show yet. Rewrite the window instead (a backfill
        # keeps the watermark).
        context.log.warning("the facts are built without every model upstream of them: rewriting every fiscal "
                            "month of the run instead of the months touched by new loads")
        incremental = False
    backfill = bool(facts) and not incremental and (context.has_partition_key or context.has_partition_key_range)
    if backfill:
        window = context.partition_time_window
        period = {"period_start": window.start.date().isoformat(), "period_end": window.end.date().isoformat()}
        context.log.info(f"backfill: rewriting the fiscal months [{period['period_start']}, {period['period_end']}) of the facts")
        args += ["--vars", json.dumps(period)]
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    if facts:
        _log_rebuilt_months(context, invocation, facts)
    prune_dbt_targets(Path(invocation.target_path))


KEEP_DBT_TARGETS = 10
KEEP_DBT_TARGETS_NEWER_THAN_S = 3600


def prune_dbt_targets(current: Path, keep: int = KEEP_DBT_TARGETS) -> list[Path]:
    """dagster-dbt writes each invocation's artifacts (manifest, run results, compiled SQL: about 20 MB) to a
    folder of its own beside `current`; a daily run would grow the disk by that much every day. Keep `current`,
    the `keep` - 1 newest others, and any written in the last hour (an invocation of another installation sharing
    this dbt project may still be using it); remove the rest and return them."""
    siblings = [p for p in current.parent.glob(f"{DBT_TARGET_PREFIX}-*") if p.is_dir() and p != current]
    siblings.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = time.time() - KEEP_DBT_TARGETS_NEWER_THAN_S
    removed = [p for p in siblings[max(0, keep - 1):] if p.stat().st_mtime < cutoff]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _log_rebuilt_months(context: dg.AssetExecutionContext, invocation, facts: list[dg.AssetKey]) -> None:
    """Say which fiscal months this build rewrote in each fact (rows carrying its dbt invocation id)."""
    from warehouse.connection import connect

    try:
        invocation_id = invocation.get_artifact("run_results.json")["metadata"]["invocation_id"]
        with connect(read_only=True) as con:
            for key in sorted(facts, key=lambda k: k.to_user_string()):
                schema, table = key.path[0], key.path[-1]
                months = [str(r[0]) for r in con.execute(
                    f'SELECT DISTINCT period_month FROM "{schema}"."{table}" WHERE _invocation_id = ? ORDER BY 1',
                    [invocation_id],
                ).fetchall()]
                shown = ", ".join(m[:7] for m in months[:12]) + (", ..." if len(months) > 12 else "")
                context.log.info(f"{key.to_user_string()}: rewrote {len(months)} fiscal month(s){': ' + shown if months else ''}")
    except Exception as exc:  # reporting only: never fail a build that succeeded
        context.log.warning(f"could not list the fiscal months this build rewrote: {exc}")
