"""The Dagster code location loads, with every layer wired: raw -> dbt -> gate checks -> publication, plus the
operations: jobs, the daily schedule, the landing sensor and the fiscal-month partitions of the facts."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

FACTS = ("fct_payments", "fct_invoices", "fct_purchase_order_lines", "fct_coop_sales")


def test_definitions_load(defs):
    from ingestion.common.schema import load_schema

    repo = defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    for name in load_schema():
        assert f"raw/{name}" in keys
        assert f"staging/stg_raw__{name}" in keys
    for key in ("marts/fct_payments", "marts/dim_date", "kpi/kpi_values", "kpi/kpi_definitions", "published/snapshot"):
        assert key in keys
    job = defs.resolve_job_def("procure_job")
    assert job.executor_def.name == "in_process"
    check_keys = {k.name for k in repo.asset_graph.asset_check_keys}
    assert {"fct_payments_passes_soda_contract", "kpi_values_passes_soda_contract"} <= check_keys
    blocking = {k.name for k in repo.asset_graph.asset_check_keys if repo.asset_graph.get_check_spec(k).blocking}
    assert {"fct_payments_passes_soda_contract", "kpi_values_passes_soda_contract"} <= blocking
    # staging reads the ingestion assets: lineage connects raw -> dbt by key
    upstream = repo.asset_graph.get(dg.AssetKey(["staging", "stg_raw__payments"])).parent_keys
    assert dg.AssetKey(["raw", "payments"]) in upstream
    # publication waits for the gated tables
    published_parents = repo.asset_graph.get(dg.AssetKey(["published", "snapshot"])).parent_keys
    assert {dg.AssetKey(["marts", "fct_payments"]), dg.AssetKey(["kpi", "kpi_values"])} <= published_parents


def test_facts_are_partitioned_by_fiscal_month_with_single_run_backfills(defs):
    graph = defs.get_repository_def().asset_graph
    for fact in FACTS:
        node = graph.get(dg.AssetKey(["marts", fact]))
        assert isinstance(node.partitions_def, dg.MonthlyPartitionsDefinition)
        assert node.partitions_def.get_first_partition_key() == "2022-01-01"
        assert node.partitions_def.get_last_partition_key() == dg.MonthlyPartitionsDefinition(
            start_date="2022-01-01", end_offset=1).get_last_partition_key()  # the current month
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        assert "fiscal month" in (graph.get(dg.AssetKey(["marts", fact])).description or "")
    for other in (["marts", "dim_date"], ["marts", "fct_procure_to_pay"], ["kpi", "kpi_values"], ["raw", "payments"]):
        assert graph.get(dg.AssetKey(other)).partitions_def is None
    # one dbt step for all models (the facts' specs carry the partitions): no split around the facts
    assert [n.name for n in defs.resolve_job_def("procure_job").graph.nodes if n.name.startswith("dbt")] == ["dbt_models"]


def test_jobs_schedule_and_sensor(defs):
    ingest_job = defs.resolve_job_def("ingest_job")
    assert ingest_job.executor_def.name == "in_process"
    assert {k.path[0] for k in ingest_job.asset_layer.selected_asset_keys} == {"raw"}

    schedule = defs.get_schedule_def("daily_procure_run")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == ("0 6 * * *", "UTC", "procure_job")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    # a daily run spans every fiscal month and asks the facts for an incremental build
    with dg.build_schedule_context(instance=dg.DagsterInstance.ephemeral()) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2022-01-01"
    assert request.tags["dagster/asset_partition_range_end"] == defs.get_repository_def().asset_graph.get(
        dg.AssetKey(["marts", "fct_payments"])).partitions_def.get_last_partition_key()
    assert request.tags["procure/facts"] == "incremental"

    sensor = defs.get_sensor_def("landing_sensor")
    assert sensor.job_name == "ingest_job"
    assert sensor.minimum_interval_seconds == 60
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "PROCURE_AUTOMATION=off" in sensor.description and "PROCURE_AUTOMATION=off" in schedule.description


def test_automation_can_start_stopped_and_the_schedule_is_configurable(monkeypatch):
    from orchestration.automation import default_sensor_status
    from orchestration.defs.pipeline.schedules import daily_schedule

    monkeypatch.setenv("PROCURE_AUTOMATION", "off")
    monkeypatch.setenv("PROCURE_SCHEDULE_CRON", "30 2 * * 1-5")
    monkeypatch.setenv("PROCURE_SCHEDULE_TIMEZONE", "America/Chicago")
    schedule = daily_schedule()
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 2 * * 1-5", "America/Chicago")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert default_sensor_status() == dg.DefaultSensorStatus.STOPPED


def test_run_command_offers_a_full_refresh():
    out = subprocess.run([str(Path(sys.executable).parent / "procure"), "run", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--full-refresh" in out.stdout
