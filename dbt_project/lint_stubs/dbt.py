"""Stand-ins for dbt's cross-database macros (`dbt.*`) so sqlfluff's jinja templater can render the
models without dbt (the dbt templater would open the warehouse). They render DuckDB-like SQL of the same
shape as dbt-duckdb's implementations; only the shape matters for linting."""


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def concat(fields):
    return " || ".join(str(f) for f in fields)


def hash(field):  # noqa: A001 - mirrors dbt.hash
    return f"md5(cast({field} as varchar))"


def type_string():
    return "varchar"


def type_int():
    return "integer"


def type_bigint():
    return "bigint"


def type_numeric():
    return "numeric(28, 6)"


def type_timestamp():
    return "timestamp"


def type_boolean():
    return "boolean"


def safe_cast(field, type):  # noqa: A002 - mirrors dbt.safe_cast
    return f"try_cast({field} as {type})"
