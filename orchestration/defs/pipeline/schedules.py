"""The daily run of the whole pipeline."""

import os

import dagster as dg

from orchestration.automation import AUTOMATION_NOTE, default_schedule_status
from orchestration.jobs import procure_job
from orchestration.partitions import full_range_tags

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
            "build (the fiscal-month facts incrementally: the run spans every month, only those touched by new "
            "loads are rewritten), gate, publish. Waits for the warehouse lock while `procure run` holds it. "
            f"{AUTOMATION_NOTE}"
        ),
    )
    def daily_procure_run(context: dg.ScheduleEvaluationContext):
        return dg.RunRequest(tags={**full_range_tags(), "procure/trigger": "daily_schedule"})

    return daily_procure_run
