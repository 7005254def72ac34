"""Fiscal-month partitions of the high-volume facts.

The partition key is a calendar month (its first day, e.g. 2024-03-01). Every state's fiscal year starts on a
month boundary (NV July, TX September, NY April, MI October, ...), so one calendar month is exactly one fiscal
month in every state's calendar: the facts' fiscal_year / fiscal_month columns name it per state.

PROCURE_PARTITION_START (ISO date, default 2022-01-01, the start of dbt's calendar: dim_date's
calendar_min_date) is the first month; the last is the current month (end_offset=1), in UTC. Rows outside
that range are still built by daily runs; only backfills are limited to it.
"""

import os
from datetime import date

import dagster as dg

DEFAULT_PARTITION_START = "2022-01-01"


def partition_start() -> str:
    value = os.environ.get("PROCURE_PARTITION_START", "").strip() or DEFAULT_PARTITION_START
    try:
        start = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"PROCURE_PARTITION_START must be an ISO date (YYYY-MM-DD), got {value!r}") from None
    return start.replace(day=1).isoformat()


def fiscal_month_partitions() -> dg.MonthlyPartitionsDefinition:
    return dg.MonthlyPartitionsDefinition(start_date=partition_start(), end_offset=1, timezone="UTC")


FISCAL_MONTHS = fiscal_month_partitions()


# A daily run (procure_job from `procure run` or the schedule) targets every fiscal month: Dagster 1.13 fails an
# unpartitioned run whose multi-asset holds partitioned assets as soon as a check on them reports (it asks for
# the run's partition range), so the run carries the whole range, and this tag tells the dbt step to let the
# incremental rule pick the months to rewrite instead of rewriting all of them (what a backfill of every
# month does).
FACTS_MODE_TAG = "procure/facts"
FACTS_INCREMENTAL = "incremental"


def full_range_tags() -> dict[str, str]:
    """Run tags of a daily run: every fiscal month (first .. current, now) + incremental mode for the facts."""
    return {
        "dagster/asset_partition_range_start": FISCAL_MONTHS.get_first_partition_key(),
        "dagster/asset_partition_range_end": FISCAL_MONTHS.get_last_partition_key(),
        FACTS_MODE_TAG: FACTS_INCREMENTAL,
    }
