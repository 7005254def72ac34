"""The publication gate: Soda v4 contracts on small DuckDB files, every kind of rule tripped on purpose."""

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.tables import execute, write_kpis, write_payments
from warehouse import gate
from warehouse.gate import contract_path, gated_datasets, verify

WINDOW = "payment_date within 1990-01-01..2030-12-31"


@pytest.fixture
def payments_db(tmp_path) -> Path:
    path = tmp_path / "wh.duckdb"
    write_payments(path)
    return path


@pytest.fixture
def kpi_db(tmp_path) -> Path:
    path = tmp_path / "wh.duckdb"
    write_kpis(path)
    return path


def failing(report) -> dict[str, gate.CheckOutcome]:
    return {c.check: c for c in report.failures()}


def test_gated_datasets_come_from_the_contracts_folder():
    assert gated_datasets() == [("marts", "fct_payments"), ("kpi", "kpi_values")]
    for schema, table in gated_datasets():
        assert contract_path(schema, table).is_file()
        assert contract_path(schema, table).parent.name == schema


def test_clean_payments_pass_every_check(payments_db):
    report = verify(payments_db, "marts", "fct_payments")
    assert report.passed, report.summary()
    assert len(report.checks) >= 11
    assert all(c.outcome == "PASSED" and c.passed for c in report.checks)
    assert report.failures() == [] and report.summary() == ""
    names = {c.check for c in report.checks}
    assert {"row count > 0", "payment_id not missing", "payment_id unique", "fiscal_month in 1..12", WINDOW} <= names
    for column in ("state_code", "agency_id", "supplier_id", "payment_date", "amount", "fiscal_year"):
        assert f"{column} not missing" in names


def test_clean_kpi_values_pass_every_check(kpi_db):
    report = verify(kpi_db, "kpi", "kpi_values")
    assert report.passed, report.summary()
    assert len(report.checks) >= 9
    assert all(c.outcome == "PASSED" for c in report.checks)
    names = {c.check for c in report.checks}
    assert {"row count > 0", "kpi_id not missing", "attribute_id in 1..12", "pct value within [0, 1]",
            "denominator >= 0", "status in (on_target, near, off, no_target, no_data)"} <= names


@pytest.mark.parametrize(
    "sql, check, keys",
    [
        ("UPDATE marts.fct_payments SET agency_id = NULL WHERE payment_id = 'P-005'",
         "agency_id not missing", ["payment_id=P-005"]),
        ("UPDATE marts.fct_payments SET amount = NULL WHERE payment_id IN ('P-001', 'P-002')",
         "amount not missing", ["payment_id=P-001", "payment_id=P-002"]),
        ("UPDATE marts.fct_payments SET payment_id = NULL WHERE payment_id = 'P-007'",
         "payment_id not missing", ["payment_id=NULL"]),
        ("UPDATE marts.fct_payments SET payment_id = 'P-001' WHERE payment_id = 'P-006'",
         "payment_id unique", ["payment_id=P-001"]),
        ("UPDATE marts.fct_payments SET fiscal_month = 13 WHERE payment_id = 'P-004'",
         "fiscal_month in 1..12", ["payment_id=P-004"]),
        ("UPDATE marts.fct_payments SET fiscal_month = 0 WHERE payment_id = 'P-010'",
         "fiscal_month in 1..12", ["payment_id=P-010"]),
        ("UPDATE marts.fct_payments SET payment_date = DATE '2099-01-15' WHERE payment_id = 'P-003'",
         WINDOW, ["payment_id=P-003"]),
        ("UPDATE marts.fct_payments SET payment_date = DATE '1989-12-31' WHERE payment_id = 'P-008'",
         WINDOW, ["payment_id=P-008"]),
    ],
)
def test_each_payments_rule_trips_and_names_offending_keys(payments_db, sql, check, keys):
    execute(payments_db, sql)
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    fails = failing(report)
    assert set(fails) == {check}, report.summary()
    outcome = fails[check]
    assert outcome.outcome == "FAILED"
    assert outcome.failed_rows == len(keys)
    assert outcome.sample_keys == keys
    assert f"marts.fct_payments: check '{check}' failed on {len(keys)} row(s), e.g. {keys[0]}" in report.summary()


def test_window_check_names_the_2099_payment(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-03-01' WHERE payment_id = 'P-011'")
    report = verify(payments_db, "marts", "fct_payments")
    assert report.summary() == (
        f"marts.fct_payments: check '{WINDOW}' failed on 1 row(s), e.g. payment_id=P-011"
    )


def test_boundary_dates_are_inside_the_window(payments_db):
    execute(
        payments_db,
        "UPDATE marts.fct_payments SET payment_date = DATE '1990-01-01' WHERE payment_id = 'P-001'",
        "UPDATE marts.fct_payments SET payment_date = DATE '2030-12-31' WHERE payment_id = 'P-002'",
    )
    assert verify(payments_db, "marts", "fct_payments").passed


def test_sample_keys_are_capped_at_five(payments_db):
    execute(payments_db, "UPDATE marts.fct_payments SET state_code = NULL")
    outcome = failing(verify(payments_db, "marts", "fct_payments"))["state_code not missing"]
    assert outcome.failed_rows == 12
    assert len(outcome.sample_keys) == 5


def test_empty_payments_table_fails_row_count(payments_db):
    execute(payments_db, "DELETE FROM marts.fct_payments")
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    fails = failing(report)
    assert "row count > 0" in fails
    assert fails["row count > 0"].outcome == "FAILED"
    assert "row count is 0" in report.summary()


@pytest.mark.parametrize(
    "sql, check, key",
    [
        ("UPDATE kpi.kpi_values SET status = 'great' WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "status in (on_target, near, off, no_target, no_data)", "kpi_id=1.1 state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET status = NULL WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "status not missing", "kpi_id=7.2 state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET attribute_id = 13 WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "attribute_id in 1..12", "kpi_id=7.2 state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET value = 1.25 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "pct value within [0, 1]", "kpi_id=1.1 state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET value = -0.01 WHERE state_code = 'CA' AND kpi_id = '12.2' AND fiscal_year = 2024",
         "pct value within [0, 1]", "kpi_id=12.2 state_code=CA fiscal_year=2024"),
        ("UPDATE kpi.kpi_values SET denominator = -1 WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "denominator >= 0", "kpi_id=1.1 state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET kpi_id = NULL WHERE state_code = 'TX' AND kpi_id = '7.2'",
         "kpi_id not missing", "state_code=TX fiscal_year=2023"),
        ("UPDATE kpi.kpi_values SET fiscal_month = 12 WHERE state_code = 'CA' AND agency_id IS NULL "
         "AND fiscal_year = 2025 AND fiscal_month = 3",
         "fiscal_month in 1..12 (NULL = whole year)", None),
        ("INSERT INTO kpi.kpi_values SELECT * FROM kpi.kpi_values WHERE state_code = 'TX' AND kpi_id = '1.1'",
         "one row per KPI and grain", "kpi_id=1.1 state_code=TX fiscal_year=2023"),
    ],
)
def test_each_kpi_rule_trips_and_names_offending_keys(kpi_db, sql, check, key):
    if key is None:  # a month of 12 is valid: this case is a control, nothing may fail
        execute(kpi_db, sql)
        assert verify(kpi_db, "kpi", "kpi_values").passed
        return
    execute(kpi_db, sql)
    report = verify(kpi_db, "kpi", "kpi_values")
    assert not report.passed
    fails = failing(report)
    assert set(fails) == {check}, report.summary()
    assert fails[check].outcome == "FAILED"
    assert fails[check].failed_rows == 1
    assert fails[check].sample_keys == [key]


def test_a_value_above_one_is_fine_for_a_non_pct_kpi(kpi_db):
    # 7.2 is in days: 33.0 must not trip the pct rule, which joins kpi_definitions on the unit.
    execute(kpi_db, "UPDATE kpi.kpi_values SET value = 400 WHERE kpi_id = '7.2'")
    assert verify(kpi_db, "kpi", "kpi_values").passed


def test_empty_kpi_values_fail_row_count(kpi_db):
    execute(kpi_db, "DELETE FROM kpi.kpi_values")
    report = verify(kpi_db, "kpi", "kpi_values")
    assert not report.passed
    assert failing(report)["row count > 0"].outcome == "FAILED"


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
    assert "no_such_column not missing" in report.summary()


def test_a_contract_with_zero_checks_fails(payments_db, contracts_dir):
    (contracts_dir / "marts" / "fct_payments.yml").write_text(
        "dataset: procure/marts/fct_payments\ncolumns:\n  - name: payment_id\n"
    )
    report = verify(payments_db, "marts", "fct_payments")
    assert not report.passed
    assert report.failures()


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
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-01-01' WHERE payment_id = 'P-000'")
    report = verify(payments_db, "marts", "fct_payments")
    assert failing(report)[WINDOW].sample_keys == ["payment_id=P-000"]
    execute(payments_db, "CHECKPOINT")


def test_verify_leaves_no_environment_behind(payments_db, monkeypatch):
    monkeypatch.delenv(gate.DATABASE_ENV_VAR, raising=False)
    verify(payments_db, "marts", "fct_payments")
    import os

    assert gate.DATABASE_ENV_VAR not in os.environ


def test_cli_exit_codes(payments_db, kpi_db, capsys):
    # payments_db and kpi_db are the same file here (both fixtures write tmp_path/wh.duckdb)
    assert gate.main(["--db", str(payments_db)]) == 0
    execute(payments_db, "UPDATE marts.fct_payments SET payment_date = DATE '2099-01-01' WHERE payment_id = 'P-009'")
    assert gate.main(["--db", str(payments_db), "marts.fct_payments"]) == 1
    assert "e.g. payment_id=P-009" in capsys.readouterr().out
