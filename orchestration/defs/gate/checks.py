"""The publication gate: Soda contracts run as blocking asset checks in front of publication."""

import dagster as dg

from warehouse.gate import gated_datasets, verify
from warehouse.settings import get_settings


def gate_check_key(schema: str, table: str) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey([schema, table]), f"{table}_passes_soda_contract")


def gate_problems(instance: dg.DagsterInstance) -> list[str]:
    """Why publishing now would be wrong: for every gated table, its latest gate evaluation must have passed
    and be newer than the table's latest materialisation. Blocking checks stop publication only inside one
    run; this also stops a publication started alone (e.g. from the UI) after a failed or missing gate."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    problems = []
    for schema, table in gated_datasets():
        key = gate_check_key(schema, table)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key]).get(key)
        materialisation = instance.get_latest_materialization_event(key.asset_key)
        name = f"{schema}.{table} check {key.name}"
        if record is None or record.event is None:
            problems.append(f"{name} has never been evaluated")
        elif record.status != AssetCheckExecutionRecordStatus.SUCCEEDED or not (record.evaluation and record.evaluation.passed):
            problems.append(f"{name}: its latest evaluation (run {record.run_id}) did not pass")
        elif materialisation is not None and record.event.timestamp < materialisation.timestamp:
            problems.append(f"{name}: {schema}.{table} was rebuilt after its latest gate evaluation")
    return problems


def _make_check(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=gate_check_key(schema, table).name,
        blocking=True,
        description=f"Soda v4 contract warehouse/soda/contracts/{schema}/{table}.yml; any check that does not pass (or is not evaluated) fails the gate.",
    )
    def _check(context) -> dg.AssetCheckResult:
        report = verify(get_settings().warehouse, schema, table)
        failures = report.failures()
        if failures:
            context.log.error(report.summary())
        return dg.AssetCheckResult(
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=report.summary() if failures else f"{len(report.checks)} checks passed",
            metadata={
                "checks_evaluated": len(report.checks),
                "checks_failed": len(failures),
                "failures": dg.MetadataValue.md(
                    "\n".join(
                        f"- `{f.check}`: {f.failed_rows if f.failed_rows is not None else '?'} row(s); e.g. {', '.join(f.sample_keys) or '-'}"
                        for f in failures
                    )
                    or "none"
                ),
            },
        )

    return _check


GATE_CHECKS = [_make_check(schema, table) for schema, table in gated_datasets()]
