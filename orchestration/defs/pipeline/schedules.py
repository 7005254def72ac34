"""The daily run of the whole pipeline."""

import os

import dagster as dg

from orchestration.automation import AUTOMATION_NOTE, default_schedule_status
from orchestration.jobs import procure_job
from orchestration.partitions import full_range_tags
from orchestration.selection import plan, run_selection
from warehouse.fingerprint import check_up_to_date
from warehouse.lock import WarehouseBusy, warehouse_lock

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"


def daily_schedule() -> dg.ScheduleDefinition:
    cron = os.environ.get("PROCURE_SCHEDULE_CRON", "").strip() or DEFAULT_CRON
    timezone = os.environ.get("PROCURE_SCHEDULE_TIMEZONE", "").strip() or DEFAULT_TIMEZONE

    @dg.schedule(
        name="daily_procure_run",
        job=procure_job,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=default_schedule_status(),
        description=(
            f"procure_job every day ({cron}, {timezone}; PROCURE_SCHEDULE_CRON / PROCURE_SCHEDULE_TIMEZONE): ingest, "
            "build (when only data changed, only what depends on the entities that changed; the fiscal-month facts "
            "incrementally: the run spans every month, only those touched by new loads are rewritten), gate, "
            "publish; a tick with no new landing file and nothing changed since the current snapshot is skipped. "
            "Waits for the warehouse lock while `procure run` holds it. "
            f"{AUTOMATION_NOTE}"
        ),
    )
    def daily_procure_run(context: dg.ScheduleEvaluationContext):
        # Nothing new since the current snapshot (warehouse/fingerprint.py): skip the tick, as `procure run` does;
        # else only what depends on what changed (orchestration/selection.py).
        try:
            with warehouse_lock("daily schedule: looking for new data", timeout_s=0):
                the_plan = plan(check_up_to_date(), lambda: context.instance)
        except WarehouseBusy:
            the_plan = None  # a run holds the warehouse: request everything, it waits for the lock
        if the_plan is not None and the_plan.up_to_date:
            return dg.SkipReason(the_plan.reason)
        selection, tags = None, {}
        if the_plan is not None and the_plan.changed is not None:
            selection, tags, _what = run_selection(the_plan, context.repository_def.asset_graph)
        full_refresh = the_plan is not None and the_plan.full_refresh  # retracted loads: rebuild the facts from raw
        return dg.RunRequest(asset_selection=selection,
                             run_config={"resources": {"dbt_options": {"config": {"full_refresh": full_refresh}}}},
                             tags={**full_range_tags(), **tags, "procure/trigger": "daily_schedule",
                                   **({"procure/full_refresh": "true"} if full_refresh else {})})

    return daily_procure_run
