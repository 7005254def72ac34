"""The publication gate: Soda v4 contracts on small DuckDB files, every kind of rule tripped on purpose.

Each kind of rule has a case where the data trips it (the check's name, the number of failing rows and a sample
key are asserted) and a case where it passes; the raw layer's rules (reconciliation with the load ledger,
freshness) are in tests/ingestion/test_contracts.py.
"""

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.tables import execute, write_gate_warehouse
from warehouse import gate
from warehouse.gate import VolumeBaseline, contract_path, gated_datasets, verify

WINDOW = "payment_date within 1990-01-01..NOW+1y"
RECONCILE = "rows and amount per state = staging"
CURRENCY = "currency is the state's currency"
VOLUME = "row count vs previous snapshot"


# Every path setting under tmp: the volume checks never see the developer's real snapshots.
pytestmark = pytest.mark.usefixtures("procure_home")


@pytest.fixture
def payments_db(tmp_path) -> Path:
    path = tmp_path / "wh.duckdb"
    write_gate_warehouse(path)
    return path


@pytest.fixture
def kpi_db(payments_db) -> Path:
    return payments_db


def failing(report) -> dict[str, gate.CheckOutcome]:
    return {c.check: c for c in report.failures()}


def test_gated_datasets_come_from_the_contracts_folder_raw_first():
    datasets = gated_datasets()
    schemas = [s for s, _ in datasets]
    assert schemas == sorted(schemas, key=["raw", "marts", "kpi"].index)  # raw, then marts, then kpi
    assert ("raw", "_loads") in datasets and ("raw", "payments") in datasets
    assert ("marts", "fct_payments") in datasets and ("kpi", "kpi_values") in datasets
    for schema, table in datasets:
        assert contract_path(schema, table).is_file()
        assert contract_path(schema, table).parent.name == schema


def test_clean_payments_pass_every_check(payments_db):
    report = verify(payments_db, "marts", "fct_payments")
    assert report.passed, report.summary()
    assert len(report.checks) >= 25
    assert all(c.outcome == "PASSED" and c.passed for c in report.checks)
    assert report.failures() == [] and report.summary() == ""
    names = {c.check for c in report.checks}
    assert {"columns and types", VOLUME, "payment_id not missing", "payment_id unique",
            "fiscal_month in 1..12", WINDOW, RECONCILE, "agency_id in dim_agency", "state_code in dim_state",
            "supplier_key in dim_supplier", "contract_id in dim_contract", "discount_taken >= 0",
            "payment_method in (ach, check, pcard, wire)", CURRENCY, "currency not missing"} <= names
    for column in ("state_code", "agency_id", "supplier_id", "payment_date", "amount", "fiscal_year"):
        assert f"{column} not missing" in names


def test_clean_kpi_values_pass_every_check(kpi_db):
    report = verify(kpi_db, "kpi", "kpi_values")
    assert report.passed, report.summary()
    assert len(report.checks) >= 15
    assert all(c.outcome == "PASSED" for c in report.checks)
    names = {c.check for c in report.checks}
    assert {"row count > 0", "kpi_id not missing", "attribute_id in 1..12", "pct value within [0, 1]",
            "denominator >= 0", "status in (on_target, near, off, no_target, no_data)", "kpi_id in kpi_definitions",
            "one row per KPI and grain"} <= names


# (sql, the check that must fail, its failing row count, its sample keys, other checks the change also trips)
PAYMENT_CASES = {
    "missing": ("UPDATE marts.fct_payments SET agency_id = NULL WHERE payment_id = 'P-005'",
                "agency_id not missing", 1, ["payment_id=P-005"], set()),
    "missing money": ("UPDATE marts.fct_payments SET amount = NULL WHERE payment_id IN ('P-001', 'P-002')",
                      "amount not missing", 2, ["payment_id=P-001", "payment_id=P-002"], {RECONCILE}),
    "missing key": ("UPDATE marts.fct_payments SET payment_id = NULL WHERE payment_id = 'P-007'",
                    "payment_id not missing", 1, ["payment_id=NULL"], set()),
    "duplicate key": ("UPDATE marts.fct_payments SET payment_id = 'P-001' WHERE payment_id = 'P-006'",
                      "payment_id unique", 1, ["payment_id=P-001"], set()),
    "range above": ("UPDATE marts.fct_payments SET fiscal_month = 13 WHERE payment_id = 'P-004'",
                    "fiscal_month in 1..12", 1, ["payment_id=P-004"], set()),
    "range below": ("UPDATE marts.fct_payments SET fiscal_month = 0 WHERE payment_id = 'P-010'",
                    "fiscal_month in 1..12", 1, ["payment_id=P-010"], set()),
    "money sign": ("UPDATE marts.fct_payments SET discount_taken = -1 WHERE payment_id = 'P-002'",
                   "discount_taken >= 0", 1, ["payment_id=P-002"], set()),
    "invalid value": ("UPDATE marts.fct_payments SET payment_method = 'cash' WHERE payment_id = 'P-009'",
                      "payment_method in (ach, check, pcard, wire)", 1, ["payment_id=P-009"], set()),
    "date after window": ("UPDATE marts.fct_payments SET payment_date = DATE '2099-01-15', period_month = date_trunc('month', DATE '2099-01-15')::DATE WHERE payment_id = 'P-003'",
                          WINDOW, 1, ["payment_id=P-003"], set()),
    "date before window": ("UPDATE marts.fct_payments SET payment_date = DATE '1989-12-31', period_month = date_trunc('month', DATE '1989-12-31')::DATE WHERE payment_id = 'P-008'",
                           WINDOW, 1, ["payment_id=P-008"], set()),
    "row in the wrong fiscal-month partition": (
        "UPDATE marts.fct_payments SET period_month = DATE '2024-01-01' WHERE payment_id = 'P-005'",
        "period_month is the month of payment_date", 1, ["payment_id=P-005"], set()),
    "reference": ("UPDATE marts.fct_payments SET agency_id = 'A-999' WHERE payment_id IN ('P-004', 'P-007')",
                  "agency_id in dim_agency", 2, ["agency_id=A-999"], set()),
    "reference supplier": ("UPDATE marts.fct_payments SET supplier_key = 'K-404' WHERE payment_id = 'P-011'",
                           "supplier_key in dim_supplier", 1, ["supplier_key=K-404"], set()),
    "reference contract": ("UPDATE marts.fct_payments SET contract_id = 'C-404' WHERE payment_id = 'P-011'",
                           "contract_id in dim_contract", 1, ["contract_id=C-404"], set()),
    "reference state": ("UPDATE marts.fct_payments SET state_code = 'ZZ' WHERE payment_id = 'P-001'",
                        "state_code in dim_state", 1, ["state_code=ZZ"], {RECONCILE}),
    "missing currency": ("UPDATE marts.fct_payments SET currency = NULL WHERE payment_id = 'P-002'",
                         "currency not missing", 1, ["payment_id=P-002"], {CURRENCY}),
}


@pytest.mark.parametrize("case", PAYMENT_CASES)
def test_each_payments_rule_trips_and_names_offending_keys(payments_db, case):
    sql, check, rows, keys, also = PAYMENT_CASES[case]
    execute(payments_db, sql)
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    fails = failing(report)
    assert set(fails) == {check} | also, report.summary()
    outcome = fails[check]
    assert outcome.outcome == "FAILED"
    assert outcome.failed_rows == rows
    assert outcome.sample_keys == keys
    assert f"marts.fct_payments: check '{check}' failed on {rows} row(s), e.g. {keys[0]}" in report.summary()


# (statements, the sample naming the state, the currency of its rows and the state's): Texas has P-001, P-003,
# ..., P-011 (6 payments), California the even ones.
CURRENCY_CASES = {
    "payments in another currency than the state's (USD)": (
        ["UPDATE marts.fct_payments SET currency = 'MXN' WHERE payment_id IN ('P-001', 'P-003', 'P-005')"],
        "state_code=TX currency=MXN state_currency=USD rows=3"),
    "a USD payment in a state whose money is in pesos": (
        ["UPDATE marts.dim_state SET currency = 'MXN' WHERE state_code = 'TX'",
         "UPDATE marts.fct_payments SET currency = 'MXN' WHERE state_code = 'TX' AND payment_id <> 'P-007'"],
        "state_code=TX currency=USD state_currency=MXN rows=1"),
}


@pytest.mark.parametrize("case", CURRENCY_CASES)
def test_a_payment_in_another_currency_than_its_states_fails_naming_state_and_currencies(payments_db, case):
    statements, sample = CURRENCY_CASES[case]
    execute(payments_db, *statements)
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    fails = failing(report)
    assert set(fails) == {CURRENCY}, report.summary()
    assert fails[CURRENCY].outcome == "FAILED"
    assert fails[CURRENCY].failed_rows == 1  # one (state, currency) pair; rows= counts its payments
    assert fails[CURRENCY].sample_keys == [sample]
    assert report.summary() == f"marts.fct_payments: check '{CURRENCY}' failed on 1 row(s), e.g. {sample}"


def test_payments_in_their_states_currency_pass_also_when_it_is_not_usd(payments_db):
    execute(payments_db, "UPDATE marts.dim_state SET currency = 'MXN' WHERE state_code = 'TX'",
            "UPDATE marts.fct_payments SET currency = 'MXN' WHERE state_code = 'TX'")
    report = verify(payments_db, "marts", "fct_payments")
    assert report.passed, report.summary()
    assert next(c for c in report.checks if c.check == CURRENCY).outcome == "PASSED"


def test_the_currency_check_leaves_unknown_states_to_the_reference_check(payments_db):
    # A payment of a state missing from dim_state has no state currency to compare with: only the reference
    # check (and the reconciliation per state) name it.
    execute(payments_db, "UPDATE marts.fct_payments SET state_code = 'ZZ', currency = 'EUR' WHERE payment_id = 'P-004'")
    assert CURRENCY not in failing(verify(payments_db, "marts", "fct_payments"))


def test_reconciliation_names_the_state_whose_money_differs(payments_db):
    execute(payments_db, "UPDATE staging.stg_raw__payments SET amount = amount + 0.01 WHERE payment_id = 'P-003'")
    fails = failing(verify(payments_db, "marts", "fct_payments"))
    assert set(fails) == {RECONCILE}
    assert fails[RECONCILE].failed_rows == 1
    (key,) = fails[RECONCILE].sample_keys
    assert key.startswith("state_code=TX mart_rows=6 staged_rows=6 ")  # P-003 is a Texan payment


def test_reconciliation_names_the_state_with_a_missing_row(payments_db):
    execute(payments_db, "DELETE FROM marts.fct_payments WHERE payment_id = 'P-000'")
    fails = failing(verify(payments_db, "marts", "fct_payments"))
    assert set(fails) == {RECONCILE}
    assert fails[RECONCILE].sample_keys[0].startswith("state_code=CA mart_rows=5 staged_rows=6")


def test_foreign_keys_may_be_null_or_known(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET contract_id = 'C-1' WHERE payment_id = 'P-001'",
            "UPDATE marts.fct_payments SET supplier_key = NULL WHERE payment_id = 'P-002'")
    assert verify(payments_db, "marts", "fct_payments").passed


def test_allowed_values_and_signs_pass(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET payment_method = 'wire', discount_taken = 0, interest_paid = 12.5",
            "UPDATE marts.fct_payments SET payment_method = NULL WHERE payment_id = 'P-001'",
            "UPDATE marts.fct_payments SET amount = -25 WHERE payment_id = 'P-002'",  # refunds are negative
            "UPDATE staging.stg_raw__payments SET amount = -25 WHERE payment_id = 'P-002'")
    assert verify(payments_db, "marts", "fct_payments").passed


@pytest.mark.parametrize("statement, sample, message", [
    ("ALTER TABLE marts.fct_payments DROP COLUMN _load_id", "column=_load_id (missing)", "missing columns: _load_id"),
    ("ALTER TABLE marts.fct_payments ADD COLUMN bank_account VARCHAR", "column=bank_account (unexpected)",
     "unexpected columns: bank_account"),
    ("ALTER TABLE marts.fct_payments ALTER amount TYPE DOUBLE", "column=amount (type)", "amount decimal(18,2) -> double"),
])
def test_schema_check_names_the_columns(payments_db, statement, sample, message):
    execute(payments_db, statement)
    report = verify(payments_db, "marts", "fct_payments")
    fails = failing(report)
    assert set(fails) == {"columns and types"}, report.summary()
    assert fails["columns and types"].outcome == "FAILED"
    assert fails["columns and types"].sample_keys == [sample]
    assert message in fails["columns and types"].message
    assert f"marts.fct_payments: check 'columns and types' failed, e.g. {sample}" in report.summary()


def test_window_check_names_the_2099_payment(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-03-01', period_month = date_trunc('month', DATE '2099-03-01')::DATE WHERE payment_id = 'P-011'")
    report = verify(payments_db, "marts", "fct_payments")
    assert report.summary() == f"marts.fct_payments: check '{WINDOW}' failed on 1 row(s), e.g. payment_id=P-011"


def test_window_boundaries_follow_now(payments_db):
    today = datetime.now(timezone.utc).date()
    inside = today + timedelta(days=360)
    execute(
        payments_db,
        "UPDATE marts.fct_payments SET payment_date = DATE '1990-01-01', period_month = date_trunc('month', DATE '1990-01-01')::DATE WHERE payment_id = 'P-001'",
        f"UPDATE marts.fct_payments SET payment_date = DATE '{inside}', period_month = date_trunc('month', DATE '{inside}')::DATE WHERE payment_id = 'P-002'",
    )
    assert verify(payments_db, "marts", "fct_payments").passed
    execute(payments_db, f"UPDATE marts.fct_payments SET payment_date = DATE '{today + timedelta(days=370)}', period_month = date_trunc('month', DATE '{today + timedelta(days=370)}')::DATE "
                         "WHERE payment_id = 'P-002'")
    assert failing(verify(payments_db, "marts", "fct_payments"))[WINDOW].sample_keys == ["payment_id=P-002"]


def test_sample_keys_are_capped_at_five(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET state_code = NULL")
    outcome = failing(verify(payments_db, "marts", "fct_payments"))["state_code not missing"]
    assert outcome.failed_rows == 12
    assert len(outcome.sample_keys) == 5


def test_a_payments_table_emptied_by_the_build_fails_reconciliation(payments_db):
    # A source without payments (Nevada's exports) publishes an empty fct_payments; an empty fct_payments
    # while staging holds payments is a lost table, caught by the reconciliation with staging.
    execute(payments_db, "DELETE FROM marts.fct_payments")
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    assert set(failing(report)) == {RECONCILE}


def test_an_empty_payments_table_passes_when_no_payment_was_received(payments_db):
    execute(payments_db, "DELETE FROM marts.fct_payments")
    execute(payments_db, "DELETE FROM staging.stg_raw__payments")
    report = verify(payments_db, "marts", "fct_payments")
    assert report.passed, report.summary()


# ---------------------------------------------------------------------------------------------- volume


def test_volume_within_tolerance_passes(payments_db):
    # 12 rows now: half of 24 and 150 % of 8 are the edges of what a tolerance of 0.5 accepts
    for previous in (24, 8, 12):
        report = verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("snap-1", {"fct_payments": previous}, 0.5))
        assert report.passed, (previous, report.summary())
        volume = next(c for c in report.checks if c.check == VOLUME)
        assert f"was {previous} in snapshot snap-1" in volume.message


def test_volume_drop_fails_and_says_how_to_accept_it(payments_db):
    baseline = VolumeBaseline("20261126T000459Z-12defd", {"fct_payments": 25}, 0.5)
    report = verify(payments_db, "marts", "fct_payments", baseline=baseline)
    fails = failing(report)
    assert set(fails) == {VOLUME}
    message = fails[VOLUME].message
    assert "row count is 12, was 25 in snapshot 20261126T000459Z-12defd" in message
    assert "PROCURE_VOLUME_TOLERANCE=0.5 (±50%) allows 13..37" in message
    assert "accept it for one run: PROCURE_VOLUME_TOLERANCE=0.52 procure run" in message
    assert f"marts.fct_payments: check '{VOLUME}' failed [row count is 12, was 25" in report.summary()


def test_volume_jump_fails(payments_db):
    report = verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("snap-1", {"fct_payments": 7}, 0.5))
    fails = failing(report)
    assert set(fails) == {VOLUME}
    assert "row count is 12, was 7 in snapshot snap-1" in fails[VOLUME].message
    assert "allows 4..10" in fails[VOLUME].message
    assert "PROCURE_VOLUME_TOLERANCE=0.72 procure run" in fails[VOLUME].message
    # the suggested tolerance is enough
    assert verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("snap-1", {"fct_payments": 7}, 0.72)).passed


def test_a_tolerance_that_allows_one_count_only_is_evaluated(payments_db):
    # 12 rows; a tolerance of 0 (or a 1-row table at 0.5) allows exactly the previous count: Soda refuses a
    # between range with equal bounds, so the gate must still evaluate it (it once errored as "contract evaluates")
    assert verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("s", {"fct_payments": 12}, 0)).passed
    fails = failing(verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("s", {"fct_payments": 11}, 0)))
    assert set(fails) == {VOLUME}
    assert "row count is 12, was 11 in snapshot s; PROCURE_VOLUME_TOLERANCE=0 (±0%) allows 11..11" in fails[VOLUME].message


def test_first_publication_only_needs_rows(payments_db):
    report = verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline(None, {}, 0.5))
    assert report.passed
    assert "no previous snapshot" in next(c for c in report.checks if c.check == VOLUME).message
    report = verify(payments_db, "marts", "fct_payments", baseline=VolumeBaseline("s", {"kpi_values": 3}, 0.5))
    assert report.passed  # a table the previous snapshot did not have


def test_volume_baseline_comes_from_the_current_snapshot_and_the_tolerance_from_the_environment(
    payments_db, tmp_path, monkeypatch
):
    from warehouse.publish import publish
    from warehouse.settings import get_settings

    bigger = tmp_path / "before.duckdb"
    write_gate_warehouse(bigger, n=30)  # the previous publication had 30 payments
    info = publish([("marts", "fct_payments")], {"run_id": "r1"}, warehouse_path=bigger, settings=get_settings())
    fails = failing(verify(payments_db, "marts", "fct_payments"))  # 12 now
    assert set(fails) == {VOLUME}
    assert f"row count is 12, was 30 in snapshot {info.snapshot_id}" in fails[VOLUME].message
    assert "allows 15..45" in fails[VOLUME].message
    monkeypatch.setenv("PROCURE_VOLUME_TOLERANCE", "0.6")  # accept the drop for this run
    assert verify(payments_db, "marts", "fct_payments").passed


# ---------------------------------------------------------------------------------------------- kpi_values


@pytest.mark.parametrize(
    "sql, check, key, also",
    [
        ("UPDATE kpi.kpi_values SET status = 'great' WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "status in (on_target, near, off, no_target, no_data)", "kpi_id=1.1 state_code=TX fiscal_year=2023", set()),
        ("UPDATE kpi.kpi_values SET status = NULL WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "status not missing", "kpi_id=7.2 state_code=TX fiscal_year=2023", set()),
        ("UPDATE kpi.kpi_values SET attribute_id = 13 WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "attribute_id in 1..12", "kpi_id=7.2 state_code=TX fiscal_year=2023", {"attribute_id in dim_attribute"}),
        ("UPDATE kpi.kpi_values SET value = 1.25 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "pct value within [0, 1]", "kpi_id=1.1 state_code=TX fiscal_year=2023 value=1.25",
         {"value = numerator / denominator"}),
        ("UPDATE kpi.kpi_values SET value = -0.01 WHERE state_code = 'CA' AND kpi_id = '12.2' AND fiscal_year = 2024",
         "pct value within [0, 1]", "kpi_id=12.2 state_code=CA fiscal_year=2024 value=-0.01",
         {"value = numerator / denominator"}),
        ("UPDATE kpi.kpi_values SET numerator = numerator + 1 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "value = numerator / denominator",
         "kpi_id=1.1 state_code=TX fiscal_year=2023 numerator=901.00000000 denominator=1000.00000000 value=0.9", set()),
        ("UPDATE kpi.kpi_values SET excluded_rows = -1 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "excluded_rows >= 0", "kpi_id=1.1 state_code=TX fiscal_year=2023", set()),
        ("UPDATE kpi.kpi_definitions SET unit = 'index' WHERE kpi_id = '1.1';"
         " UPDATE kpi.kpi_values SET value = 10000.5, numerator = 10000.5, denominator = 1"
         " WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "index value within [0, 10000]", "kpi_id=1.1 state_code=TX fiscal_year=2023 value=10000.5", set()),
        ("UPDATE kpi.kpi_values SET denominator = -1 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "denominator >= 0", "kpi_id=1.1 state_code=TX fiscal_year=2023", {"value = numerator / denominator"}),
        ("UPDATE kpi.kpi_values SET kpi_id = NULL WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "kpi_id not missing", "state_code=TX fiscal_year=2023", set()),
        ("UPDATE kpi.kpi_values SET kpi_id = '99.9' WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "kpi_id in kpi_definitions", "kpi_id=99.9", set()),
        ("UPDATE kpi.kpi_values SET agency_id = 'A-404' WHERE agency_id = 'A1'",
         "agency_id in dim_agency", "agency_id=A-404", set()),
        ("INSERT INTO kpi.kpi_values SELECT * FROM kpi.kpi_values WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "one row per KPI and grain", "kpi_id=1.1 state_code=TX fiscal_year=2023", set()),
    ],
)
def test_each_kpi_rule_trips_and_names_offending_keys(kpi_db, sql, check, key, also):
    execute(kpi_db, sql)
    report = verify(kpi_db, "kpi", "kpi_values")
    assert not report.passed
    fails = failing(report)
    assert set(fails) == {check} | also, report.summary()
    assert fails[check].outcome == "FAILED"
    assert fails[check].failed_rows == 1
    assert fails[check].sample_keys == [key]


def test_month_twelve_and_whole_year_rows_pass(kpi_db):
    execute(kpi_db, "UPDATE kpi.kpi_values SET fiscal_month = 12 WHERE state_code = 'CA' AND agency_id IS NULL "
                    "AND fiscal_year = 2025 AND fiscal_month = 3")
    assert verify(kpi_db, "kpi", "kpi_values").passed


def test_a_value_above_one_is_fine_for_a_non_pct_kpi(kpi_db):
    # 7.2 is in days: 400 must not trip the pct rule, which joins kpi_definitions on the unit.
    execute(kpi_db, "UPDATE kpi.kpi_values SET value = 400 WHERE kpi_id = '7.2'")
    assert verify(kpi_db, "kpi", "kpi_values").passed


def test_empty_kpi_values_fail_row_count(kpi_db):
    execute(kpi_db, "DELETE FROM kpi.kpi_values")
    report = verify(kpi_db, "kpi", "kpi_values")
    assert not report.passed
    assert set(failing(report)) == {"row count > 0"}


# ---------------------------------------------------------------------------------------------- gate mechanics


def test_missing_dataset_fails(tmp_path):
    db = tmp_path / "other.duckdb"
    execute(db, "CREATE SCHEMA marts", "CREATE TABLE marts.something_else (x INTEGER)")
    report = verify(db, "marts", "fct_payments")
    assert not report.passed
    assert report.failures() and report.failures()[0].check == "dataset exists"
    assert "does not exist" in report.summary()


def test_missing_database_file_fails(tmp_path):
    report = verify(tmp_path / "nope.duckdb", "kpi", "kpi_values")
    assert not report.passed
    assert not (tmp_path / "nope.duckdb").exists()  # never created by the gate


def test_dataset_without_a_contract_fails(payments_db):
    report = verify(payments_db, "marts", "no_contract_for_this")
    assert not report.passed
    assert report.failures()[0].check == "contract exists"


def test_a_missing_dimension_leaves_reference_checks_not_evaluated_and_fails(payments_db):
    execute(payments_db, "DROP TABLE marts.dim_contract")
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    assert "contract_id in dim_contract" in failing(report)


@pytest.fixture
def contracts_dir(tmp_path, monkeypatch) -> Path:
    """A private contracts folder (a copy of the real one) that tests may add contracts to."""
    directory = tmp_path / "contracts"
    shutil.copytree(gate.CONTRACTS_DIR, directory)
    monkeypatch.setattr(gate, "CONTRACTS_DIR", directory)
    return directory


def test_not_evaluated_checks_fail_the_gate(payments_db, contracts_dir):
    # A column that does not exist: Soda reports the check NOT_EVALUATED and its result can still look ok.
    (contracts_dir / "marts" / "fct_payments.yml").write_text(
        "dataset: procure/marts/fct_payments\n"
        "columns:\n"
        "  - name: payment_id\n"
        "    checks:\n"
        "      - missing:\n"
        "          name: payment_id not missing\n"
        "  - name: no_such_column\n"
        "    checks:\n"
        "      - missing:\n"
        "          name: no_such_column not missing\n"
    )
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    outcomes = {c.check: c.outcome for c in report.checks}
    assert outcomes["no_such_column not missing"] == "NOT_EVALUATED"
    assert "marts.fct_payments: check 'no_such_column not missing' did not pass (NOT_EVALUATED)" in report.summary()


def test_evaluated_checks_pass_the_gate(payments_db, contracts_dir):
    (contracts_dir / "marts" / "fct_payments.yml").write_text(
        "dataset: procure/marts/fct_payments\ncolumns:\n  - name: payment_id\n    checks:\n      - missing:\n"
        "          name: payment_id not missing\n"
    )
    report = verify(payments_db, "marts", "fct_payments")
    assert report.passed and [c.check for c in report.checks] == ["payment_id not missing"]


def test_a_contract_with_zero_checks_fails(payments_db, contracts_dir):
    (contracts_dir / "marts" / "fct_payments.yml").write_text(
        "dataset: procure/marts/fct_payments\ncolumns:\n  - name: payment_id\n"
    )
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    assert [c.check for c in report.failures()] == ["contract evaluates"]
    assert "marts.fct_payments: check 'contract evaluates' did not pass (ERROR)" in report.summary()


def test_a_contract_naming_another_dataset_fails(payments_db, contracts_dir):
    (contracts_dir / "marts" / "fct_payments.yml").write_text(
        "dataset: procure/main/marts/fct_payments\ncolumns:\n  - name: payment_id\n    checks:\n      - missing:\n"
    )
    assert not verify(payments_db, "marts", "fct_payments").passed


def test_verify_reads_only_and_closes_its_connections(payments_db):
    # While this process holds the file read-only, the gate (also read-only) can verify it ...
    reader = duckdb.connect(str(payments_db), read_only=True)
    try:
        assert verify(payments_db, "marts", "fct_payments").passed
    finally:
        reader.close()
    # ... and afterwards nothing of the gate's is left open: a read-write connection in this process works
    # (DuckDB refuses to mix read-only and read-write connections to one file in one process).
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-01-01', period_month = date_trunc('month', DATE '2099-01-01')::DATE WHERE payment_id = 'P-000'")
    report = verify(payments_db, "marts", "fct_payments")
    assert failing(report)[WINDOW].sample_keys == ["payment_id=P-000"]
    execute(payments_db, "CHECKPOINT")


def test_verify_leaves_no_environment_behind(payments_db, monkeypatch):
    monkeypatch.delenv(gate.DATABASE_ENV_VAR, raising=False)
    verify(payments_db, "marts", "fct_payments")
    import os

    assert gate.DATABASE_ENV_VAR not in os.environ


def test_cli_exit_codes(payments_db, capsys):
    assert gate.main(["--db", str(payments_db), "marts.fct_payments", "kpi.kpi_values"]) == 0
    assert "2 contracts" in capsys.readouterr().out
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-01-01', period_month = date_trunc('month', DATE '2099-01-01')::DATE WHERE payment_id = 'P-009'")
    assert gate.main(["--db", str(payments_db), "marts.fct_payments"]) == 1
    out = capsys.readouterr().out
    assert f"marts.fct_payments: check '{WINDOW}' failed on 1 row(s), e.g. payment_id=P-009" in out
    assert "gate FAILED" in out
