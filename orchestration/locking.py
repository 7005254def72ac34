"""Dagster-launched runs take the warehouse lock (warehouse/lock.py) in their first step that opens the warehouse.

Readers count too: while a process writes the DuckDB file no other process can open it, even read-only, so
the gate checks and the publish step (which read it) take the lock like the writing steps."""

import dagster as dg

from warehouse.lock import WarehouseBusy, hold_for_process


def hold_warehouse(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> None:
    """Hold the warehouse until this run's process ends (in-process executor: one process per run).

    A later step of the same run re-enters at once; inside `procure run` (which holds the lock for the whole
    run) this is a no-op. While another process holds it, waits (a log line every 30 s naming the holder)
    up to PROCURE_LOCK_TIMEOUT_S seconds, then fails the step saying who held it.
    """
    what = f"dagster run {context.run.run_id} of {context.run.job_name}"
    try:
        took = hold_for_process(what, log=context.log.warning)
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    if took:
        context.log.info("took the warehouse lock; it is held until this run's process ends")
