"""The dbt project handle. Kept in its own module: @dbt_assets needs manifest.json at import time."""

from dagster_dbt import DbtProject

from orchestration.environment import DBT_PROJECT_DIR, export_environment

export_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="duckdb")
