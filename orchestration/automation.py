"""Whether schedules and sensors start running: PROCURE_AUTOMATION=off starts them STOPPED (they can still be
switched on in the UI); anything else (default: on) starts them RUNNING when the daemon runs (`make dev`)."""

import os

import dagster as dg

AUTOMATION_NOTE = "Starts RUNNING under the Dagster daemon (`make dev`); PROCURE_AUTOMATION=off starts it STOPPED."


def automation_enabled() -> bool:
    return os.environ.get("PROCURE_AUTOMATION", "on").strip().lower() not in {"off", "0", "false", "no", "stopped"}


def default_schedule_status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if automation_enabled() else dg.DefaultScheduleStatus.STOPPED


def default_sensor_status() -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if automation_enabled() else dg.DefaultSensorStatus.STOPPED
