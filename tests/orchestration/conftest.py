import pytest


@pytest.fixture(autouse=True)
def _give_back_the_warehouse_lock():
    """A job executed in this process takes the warehouse lock until the process ends (warehouse/lock.py):
    give it back after each test, as the end of a run's process would."""
    yield
    from warehouse.lock import release_process_holds

    release_process_holds()
