"""Resources, declared once."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.environment import dbt_executable
from orchestration.project import dbt_project


class DbtOptions(dg.ConfigurableResource):
    """How this run calls dbt. full_refresh: pass --full-refresh (rebuild the facts incremental by period
    from scratch; `procure run --full-refresh`, or in the launchpad: resources.dbt_options.config)."""

    full_refresh: bool = False


def build_resources() -> dict:
    return {
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            target="duckdb",
            dbt_executable=dbt_executable(),
        ),
        "dbt_options": DbtOptions(),
    }
