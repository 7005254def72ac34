import pytest


@pytest.fixture(autouse=True)
def _give_back_the_warehouse_lock():
    """A job executed in this process takes the warehouse lock until the process ends (warehouse/lock.py):
    give it back after each test, as the end of a run's process would."""
    yield
    from warehouse.lock import release_process_holds

    release_process_holds()


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    """The code location's Definitions, loaded against an empty installation of the module's own (the dbt
    manifest parsed first, as `procure run` does); the environment is given back after the module."""
    from orchestration.environment import export_environment
    from procure_cli.runner import dbt_parse
    from tests.conftest import _PATH_VARS as PATH_VARS

    home = tmp_path_factory.mktemp("defs") / "data"
    with pytest.MonkeyPatch.context() as mp:
        for var in PATH_VARS:
            mp.delenv(var, raising=False)
        mp.setenv("PROCURE_HOME", str(home))
        mp.setenv("PROCURE_WAREHOUSE", str(home / "warehouse" / "procure.duckdb"))  # as export_environment() will,
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))  # but undone after the module
        export_environment()
        dbt_parse()
        from orchestration.definitions import defs

        yield defs
