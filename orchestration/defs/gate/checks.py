"""The publication gate: Soda contracts run as blocking asset checks in front of publication."""

import dagster as dg

from warehouse.gate import gated_datasets, verify
from warehouse.settings import get_settings


def _make_check(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"{table}_passes_soda_contract",
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
