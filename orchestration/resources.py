"""Resources, declared once."""

from dagster_dbt import DbtCliResource

from orchestration.environment import dbt_executable
from orchestration.project import dbt_project


def build_resources() -> dict:
    return {
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            target="duckdb",
            dbt_executable=dbt_executable(),
        )
    }
