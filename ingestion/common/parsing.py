"""SQL expressions that parse received text into canonical types, in DuckDB.

Validation runs in SQL (not row by row in Python) so that it stays fast and memory-bounded on large files.
Each builder takes a SQL expression holding the received text and returns an expression of the target type
that is NULL when the text does not parse; `validation_sql` uses them to name what is wrong and where.
"""

from ingestion.common.schema import Column, Entity

# Received text that counts as empty.
def blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim({expr}) = '')"


def _money_text(expr: str) -> str:
    # "$1,234.50" -> "1234.50"; "(12.00)", "$(12.00)", "($12.00)" and "12.00-" are negatives in accounting exports.
    s = f"regexp_replace(trim({expr}), '[$\\s]', '', 'g')"
    stripped = f"regexp_replace({s}, '[,()]', '', 'g')"
    negative = f"(({s} LIKE '(%)') OR ({s} LIKE '%-' AND {s} NOT LIKE '-%'))"
    unsigned = f"regexp_replace({stripped}, '-$', '')"
    return f"(CASE WHEN {negative} THEN '-' || regexp_replace({unsigned}, '^-', '') ELSE {unsigned} END)"


def parse_decimal(expr: str, precision: int, scale: int) -> str:
    text = _money_text(expr)
    wide = f"TRY_CAST({text} AS DECIMAL(38,10))"
    exact = f"TRY_CAST({text} AS DECIMAL({precision},{scale}))"
    # Refuse values that would be rounded (more decimals than the type keeps) or overflow: never change money silently.
    return f"(CASE WHEN {wide} IS NOT NULL AND CAST({exact} AS DECIMAL(38,10)) = {wide} THEN {exact} END)"


def strptime_sql(text: str, fmt_literal: str) -> str:
    """TRY_STRPTIME that refuses years below 1000: DuckDB's %Y reads '24' in '07/01/24' as the year 24."""
    parsed = f"TRY_STRPTIME({text}, {fmt_literal})"
    return f"(CASE WHEN year({parsed}) >= 1000 THEN {parsed} END)"


def parse_date(expr: str) -> str:
    s = f"trim({expr})"
    formats = ("'%Y-%m-%d'", "'%m/%d/%Y'", "'%Y-%m-%dT%H:%M:%S'", "'%Y-%m-%d %H:%M:%S'")
    return f"CAST(COALESCE({', '.join(strptime_sql(s, f) for f in formats)}) AS DATE)"


def parse_integer(expr: str) -> str:
    # TRY_CAST('3.5' AS BIGINT) rounds to 4: accept digits only.
    s = f"replace(trim({expr}), ',', '')"
    return f"(CASE WHEN regexp_full_match({s}, '-?[0-9]+') THEN TRY_CAST({s} AS BIGINT) END)"


def parse_boolean(expr: str) -> str:
    s = f"lower(trim({expr}))"
    return (
        f"(CASE WHEN {s} IN ('true', 't', '1', 'yes', 'y') THEN TRUE"
        f" WHEN {s} IN ('false', 'f', '0', 'no', 'n') THEN FALSE END)"
    )


def parse_string(expr: str) -> str:
    # Strings land as received (staging normalises); only all-blank becomes NULL.
    return f"(CASE WHEN {blank(expr)} THEN NULL ELSE {expr} END)"


def parse_expr(col: Column, expr: str) -> str:
    if col.type == "money":
        return parse_decimal(expr, 18, 2)
    if col.type == "price":
        return parse_decimal(expr, 18, 4)
    if col.type == "date":
        return parse_date(expr)
    if col.type == "integer":
        return parse_integer(expr)
    if col.type == "boolean":
        return parse_boolean(expr)
    return parse_string(expr)


def sql_literal(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier (quotes doubled): column names as received can hold anything."""
    return '"' + name.replace('"', '""') + '"'


def _shown(expr: str) -> str:
    # The received value, shortened, for the quarantine reason.
    return f"'''' || left({expr}, 40) || ''''"


def problems(col: Column, expr: str, label: str | None = None, parsed: str | None = None) -> list[tuple[str, str]]:
    """(condition, message expression) pairs: each condition true means the value is wrong.

    Messages start with `label` (default: the column name; a mapped file adds where the value came from).
    `parsed` is an expression already holding parse_expr(col, expr) (e.g. a column computed once); default:
    the parse expression itself.
    """
    parsed = parsed or parse_expr(col, expr)
    name = label or col.name
    out: list[tuple[str, str]] = []
    if col.required:
        out.append((blank(expr), sql_literal(f"{name}: required value is empty")))
    if col.type != "string":
        out.append(
            (
                f"(NOT {blank(expr)} AND {parsed} IS NULL)",
                f"{sql_literal(name + ': ')} || {_shown(expr)} || {sql_literal(' is not a valid ' + col.type)}",
            )
        )
    if col.allowed:
        allowed = ", ".join(sql_literal(v) for v in col.allowed)
        out.append(
            (
                f"(NOT {blank(expr)} AND trim({expr}) NOT IN ({allowed}))",
                f"{sql_literal(name + ': ')} || {_shown(expr)} || {sql_literal(' is not one of ' + ', '.join(col.allowed))}",
            )
        )
    if col.min is not None:
        out.append((f"({parsed} < {col.min})", f"{sql_literal(name + ': ')} || {_shown(expr)} || {sql_literal(f' is below {col.min}')}"))
    if col.max is not None:
        out.append((f"({parsed} > {col.max})", f"{sql_literal(name + ': ')} || {_shown(expr)} || {sql_literal(f' is above {col.max}')}"))
    return out


def typed_name(column: str) -> str:
    """The column of validation_sql's output that holds `column` parsed into its canonical type."""
    return f"_typed_{column}"


def validation_sql(e: Entity, source_relation: str, present: set[str], labels: dict[str, str] | None = None,
                   carry: tuple[str, ...] = ()) -> str:
    """SELECT over the text relation: every canonical column as received text, the same parsed into its canonical
    type (typed_name(column): NULL when it does not parse), `_row_number`, and `_reason` and `_columns` (both NULL
    when the row is valid).

    Each value is parsed once (an inner SELECT); the checks and the typed load read the parsed column, so the
    money, date and number parsers do not run again per check or for the insert (at a million rows the repeated
    regular expressions were half of the ingestion time).
    `present` is the set of canonical columns found in the file; absent ones are NULL text. `labels` names a
    column in the reasons (e.g. "po_date (from 'Sent Date')"); default: the column name. `carry`: other columns of
    the source passed through (e.g. the file a row came from).
    """
    reasons, columns, text, typed = [], [], [], []
    for col in e.columns:
        expr = col.name if col.name in present else "CAST(NULL AS VARCHAR)"
        text.append(f"{expr} AS {col.name}")
        typed.append(f"{parse_expr(col, expr)} AS {typed_name(col.name)}")
        for cond, msg in problems(col, col.name, (labels or {}).get(col.name), parsed=typed_name(col.name)):
            reasons.append(f"CASE WHEN {cond} THEN {msg} END")
            columns.append(f"CASE WHEN {cond} THEN {sql_literal(col.name)} END")
    reason = f"NULLIF(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "NULL"
    cols = f"NULLIF(array_to_string(list_filter([{', '.join(columns)}], lambda x: x IS NOT NULL), ','), '')" if columns else "NULL"
    parsed = f"SELECT {', '.join(text + typed + ['_row_number', *carry])} FROM {source_relation}"
    return f"SELECT *, {reason} AS _reason, {cols} AS _columns FROM ({parsed}) AS _parsed"


def typed_columns(e: Entity, alias: str = "") -> str:
    """The select list that loads validation_sql's output into raw.<entity> (same column order as the raw DDL)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{typed_name(c.name)} AS {c.name}" for c in e.columns)
