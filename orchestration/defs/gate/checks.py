"""The publication gate: Soda contracts run as blocking asset checks.

Every contract of warehouse.gate.gated_datasets() becomes the check `<table>_passes_soda_contract` on its table's
asset: raw contracts on the ingestion assets [raw, <entity>] (so a raw table that breaks its contract stops the
dbt models built on it), marts and kpi contracts on the dbt assets. The load ledger raw._loads has no asset of
its own: every file load of every entity writes it inside the ingest_landing step, and each entity's contract
already reconciles that entity's loads with it, so its own contract (ledger sanity: statuses, unique load ids,
rows_in = loaded + quarantined) runs once per run as a check on [raw, payments], the entity every full run
ingests and the one the money KPIs start from.
"""

from typing import Any

import dagster as dg

from orchestration.locking import hold_warehouse

from warehouse.gate import SAMPLE_LIMIT, gated_datasets, verify
from warehouse.settings import get_settings

# Tables without an asset of their own -> the asset their contract is checked on.
LEDGER_CHECK_ASSET = dg.AssetKey(["raw", "payments"])
_ATTACHED_TO = {("raw", "_loads"): LEDGER_CHECK_ASSET}


def gate_asset_key(schema: str, table: str) -> dg.AssetKey:
    """The asset the contract of schema.table is a check on."""
    return _ATTACHED_TO.get((schema, table), dg.AssetKey([schema, table]))


def gate_check_key(schema: str, table: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(gate_asset_key(schema, table), f"{table}_passes_soda_contract")


def latest_gate_records(instance: dg.DagsterInstance) -> dict[tuple[str, str], Any]:
    """(schema, table) -> the latest execution record of its gate check (None if never run), in one query."""
    keys = {st: gate_check_key(*st) for st in gated_datasets()}
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys.values()))
    return {st: records.get(key) for st, key in keys.items()}


def gate_problems(instance: dg.DagsterInstance) -> list[str]:
    """Why publishing now would be wrong: for every gated table, its latest gate evaluation must have passed
    and be newer than the latest materialisation of the asset it checks. Blocking checks stop publication only
    inside one run; this also stops a publication started alone (e.g. from the UI) after a failed or missing gate."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    problems = []
    for (schema, table), record in latest_gate_records(instance).items():
        key = gate_check_key(schema, table)
        materialisation = instance.get_latest_materialization_event(key.asset_key)
        name = f"{schema}.{table} check {key.name}"
        if record is None or record.event is None:
            problems.append(f"{name} has never been evaluated")
        elif record.status != AssetCheckExecutionRecordStatus.SUCCEEDED or not (record.evaluation and record.evaluation.passed):
            problems.append(f"{name}: its latest evaluation (run {record.run_id}) did not pass")
        elif materialisation is not None and record.event.timestamp < materialisation.timestamp:
            asset = "/".join(key.asset_key.path)
            problems.append(f"{name}: {asset} was rebuilt after its latest gate evaluation")
    return problems


def _failures_markdown(report) -> str:
    """One bullet per failing check: name, rows, sample keys, and what Soda or the gate said."""
    lines = []
    for f in report.failures():
        rows = f"{f.failed_rows} row(s)" if f.failed_rows is not None else f.outcome
        line = f"- `{f.check}`: {rows}"
        if f.sample_keys:
            line += "; e.g. " + ", ".join(f"`{k}`" for k in f.sample_keys[:SAMPLE_LIMIT])
        if f.message:
            line += f" — {f.message}"
        lines.append(line)
    return "\n".join(lines) or "none"


def _make_check(schema: str, table: str) -> dg.AssetChecksDefinition:
    contract = f"warehouse/soda/contracts/{schema}/{table}.yml"
    where = "" if (schema, table) not in _ATTACHED_TO else f" (contract of {schema}.{table}, which has no asset of its own)"

    @dg.asset_check(
        asset=gate_asset_key(schema, table),
        name=gate_check_key(schema, table).name,
        blocking=True,
        description=(
            f"Publication gate{where}: Soda v4 contract {contract}. Any check that does not pass, is not evaluated, "
            "or a contract with no checks fails the gate and stops everything downstream."
        ),
    )
    def _check(context) -> dg.AssetCheckResult:
        hold_warehouse(context)  # a check launched alone must not open the file while another run writes it
        report = verify(get_settings().warehouse, schema, table)
        failures = report.failures()
        if failures:
            context.log.error(report.summary())
        return dg.AssetCheckResult(
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=report.summary() if failures else f"{len(report.checks)} checks passed",
            metadata={
                "dataset": f"{schema}.{table}",
                "contract": dg.MetadataValue.path(contract),
                "checks_evaluated": len(report.checks),
                "checks_failed": len(failures),
                "elapsed_s": round(report.elapsed_s, 2),
                "failures": dg.MetadataValue.md(_failures_markdown(report)),
            },
        )

    return _check


GATE_CHECKS = [_make_check(schema, table) for schema, table in gated_datasets()]
