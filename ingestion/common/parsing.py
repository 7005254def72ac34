"""SQL expressions that parse received text into canonical types, in DuckDB.

Validation runs in SQL (not row by row in Python) so that it stays fast and memory-bounded on large files.
Each builder takes a SQL expression holding the received text and returns an expression of the target type
that is NULL when the text does not parse; `validation_sql` uses them to name what is wrong and where.
"""

import datetime as dt

from ingestion.common.schema import DECIMAL_SCALES, ROUNDED_TYPES, Column, Entity, describe_date_bound

# Received text that counts as empty.
def blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim({expr}) = '')"


def money_text(expr: str) -> str:
    # "$1,234.50" -> "1234.50"; "(12.00)", "$(12.00)", "($12.00)" and "12.00-" are negatives in accounting exports.
    s = f"regexp_replace(trim({expr}), '[$\\s]', '', 'g')"
    stripped = f"regexp_replace({s}, '[,()]', '', 'g')"
    negative = f"(({s} LIKE '(%)') OR ({s} LIKE '%-' AND {s} NOT LIKE '-%'))"
    unsigned = f"regexp_replace({stripped}, '-$', '')"
    return f"(CASE WHEN {negative} THEN '-' || regexp_replace({unsigned}, '^-', '') ELSE {unsigned} END)"


def _decimal_parts(expr: str, precision: int, scale: int) -> tuple[str, str, str]:
    """(exact, fits, text) for a decimal column: `exact` the text cast to DECIMAL(precision, scale) (rounded half
    away from zero when it has more decimals; NULL when it is not a number or overflows), `fits` true when that
    cast changed nothing the text denotes, `text` the normalised text.

    The text denotes its value exactly unless it is the binary-float spelling of a double: spreadsheets and JSON
    writers print a double with 17 significant digits (552169.81 as '552169.81000000006', 6.33333 as
    '6.3333300000000001'). Such a text names the same double as the short value, so the short value is what
    was meant: a text of 16 or more significant digits whose double equals the double of the value at the
    column's scale is that value. Exponent forms ('1.5E+3') are accepted when they name the same double too."""
    text = money_text(expr)
    exact = f"TRY_CAST({text} AS DECIMAL({precision},{scale}))"
    frac = f"regexp_extract({text}, '^[+-]?[0-9]*[.]([0-9]*)$', 1)"
    plain = f"regexp_full_match({text}, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)')"
    digits = f"length(rtrim({frac}, '0'))"
    significant = f"length(ltrim(regexp_replace({text}, '[^0-9]', '', 'g'), '0'))"
    same_double = f"(TRY_CAST({text} AS DOUBLE) = CAST({exact} AS DOUBLE))"
    fits = (f"({exact} IS NOT NULL AND (({plain} AND ({digits} <= {scale} OR ({significant} >= 16 AND {same_double})))"
            f" OR (NOT {plain} AND {same_double})))")
    return exact, fits, text


def parse_decimal(expr: str, precision: int, scale: int, round_extra: bool = False) -> str:
    """The received text as DECIMAL(precision, scale); NULL when it does not parse. Money is never rounded: a
    value with more decimals than `scale` (binary-float noise aside) is NULL, so the row is quarantined.
    With `round_extra` (prices, quantities) such a value is rounded half away from zero instead (see notes())."""
    exact, fits, _ = _decimal_parts(expr, precision, scale)
    if round_extra:
        return exact
    return f"(CASE WHEN {fits} THEN {exact} END)"


def _decimal_failure(col: Column, expr: str, shown: str) -> str:
    """Why a non-empty decimal text did not parse, as a message expression (only evaluated for failing rows)."""
    precision, scale = 18, DECIMAL_SCALES[col.type]
    exact, _, text = _decimal_parts(expr, precision, scale)
    number = f"(TRY_CAST({text} AS DOUBLE) IS NOT NULL AND NOT isinf(TRY_CAST({text} AS DOUBLE)) AND NOT isnan(TRY_CAST({text} AS DOUBLE)))"
    word = "money" if col.type == "money" else "number"
    return (
        f"(CASE WHEN NOT {number} THEN {shown} || {sql_literal(f' is not a valid {col.type}')}"
        f" WHEN {exact} IS NULL THEN {shown} || {sql_literal(f' is too large (at most {precision - scale} digits before the decimal point)')}"
        f" ELSE {shown} || {sql_literal(f' has more decimals than {word} keeps ({scale}): not rounded (a mapping can round it: round: {scale})')} END)"
    )


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
    if col.type in DECIMAL_SCALES:
        return parse_decimal(expr, 18, DECIMAL_SCALES[col.type], round_extra=col.type in ROUNDED_TYPES)
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


_DATE_HINT = " (expected yyyy-mm-dd or mm/dd/yyyy; a mapping can give date_format for other formats)"


def problems(col: Column, expr: str, label: str | None = None, parsed: str | None = None,
             today: dt.date | None = None, parsed_of: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(condition, message expression) pairs: each condition true means the value is wrong.

    Messages start with `label` (default: the column name; a mapped file adds where the value came from) and show
    the value received. `parsed` is an expression already holding parse_expr(col, expr) (e.g. a column computed
    once); default: the parse expression itself. `today` resolves relative date windows (default: the date now).
    `parsed_of` gives the parsed expression of the row's other columns (for not_before); default: parse them.
    """
    parsed = parsed or parse_expr(col, expr)
    name = label or col.name
    shown = _shown(expr)
    out: list[tuple[str, str]] = []
    if col.required:
        out.append((blank(expr), sql_literal(f"{name}: required value is empty")))
    if col.type in DECIMAL_SCALES:
        out.append((f"(NOT {blank(expr)} AND {parsed} IS NULL)",
                    f"{sql_literal(name + ': ')} || {_decimal_failure(col, expr, shown)}"))
    elif col.type != "string":
        # a canonical file's dates must be in one of the formats parse_date knows; a mapped file names its own
        hint = _DATE_HINT if col.type == "date" and label is None else ""
        out.append(
            (
                f"(NOT {blank(expr)} AND {parsed} IS NULL)",
                f"{sql_literal(name + ': ')} || {shown} || {sql_literal(' is not a valid ' + col.type + hint)}",
            )
        )
    if col.allowed:
        allowed = ", ".join(sql_literal(v) for v in col.allowed)
        out.append(
            (
                f"(NOT {blank(expr)} AND trim({expr}) NOT IN ({allowed}))",
                f"{sql_literal(name + ': ')} || {shown} || {sql_literal(' is not one of ' + ', '.join(col.allowed))}",
            )
        )
    if col.min is not None:
        out.append((f"({parsed} < {col.min})", f"{sql_literal(name + ': ')} || {shown} || {sql_literal(f' is below {col.min}')}"))
    if col.max is not None:
        out.append((f"({parsed} > {col.max})", f"{sql_literal(name + ': ')} || {shown} || {sql_literal(f' is above {col.max}')}"))
    if col.type == "date":
        earliest, latest = col.window(today)
        if earliest is not None:
            out.append((f"({parsed} < DATE '{earliest.isoformat()}')",
                        f"{sql_literal(name + ': ')} || {shown} || "
                        f"{sql_literal(f' is before {earliest.isoformat()}, the earliest date accepted for {col.name}')}"))
        if latest is not None:
            bound = describe_date_bound(col.latest or "")
            why = f" ({bound})" if bound != latest.isoformat() else ""
            out.append((f"({parsed} > DATE '{latest.isoformat()}')",
                        f"{sql_literal(name + ': ')} || {shown} || "
                        f"{sql_literal(f' is after {latest.isoformat()}{why}, the latest date accepted for {col.name}')}"))
        if col.not_before:
            other = (parsed_of or {}).get(col.not_before) or parse_date(col.not_before)
            out.append((f"({parsed} < {other})",
                        f"{sql_literal(name + ': ')} || {shown} || {sql_literal(f' is before {col.not_before} ')} || "
                        f"strftime({other}, '%Y-%m-%d')"))
    return out


def notes(col: Column, expr: str, label: str | None = None) -> list[tuple[str, str]]:
    """(condition, message expression) pairs for values that load but were changed by a stated rule (prices and
    quantities rounded to their scale); the loader counts them in the load's ledger message."""
    if col.type not in ROUNDED_TYPES:
        return []
    scale = DECIMAL_SCALES[col.type]
    exact, fits, _ = _decimal_parts(expr, 18, scale)
    name = label or col.name
    return [(f"({exact} IS NOT NULL AND NOT {fits})",
             f"{sql_literal(name + ': ')} || {_shown(expr)} || {sql_literal(f' rounded to {scale} decimals')}")]


def typed_name(column: str) -> str:
    """The column of validation_sql's output that holds `column` parsed into its canonical type."""
    return f"_typed_{column}"


def validation_sql(e: Entity, source_relation: str, present: set[str], labels: dict[str, str] | None = None,
                   carry: tuple[str, ...] = (), today: dt.date | None = None) -> str:
    """SELECT over the text relation: every canonical column as received text, the same parsed into its canonical
    type (typed_name(column): NULL when it does not parse), `_row_number`, `_reason` and `_columns` (both NULL
    when the row is valid), and `_notes` (values changed by a stated rule, e.g. a quantity rounded; NULL if none).

    Each value is parsed once (an inner SELECT); the checks and the typed load read the parsed column, so the
    money, date and number parsers do not run again per check or for the insert (at a million rows the repeated
    regular expressions were half of the ingestion time).
    `present` is the set of canonical columns found in the file; absent ones are NULL text. `labels` names a
    column in the reasons (e.g. "po_date (from 'Sent Date')"); default: the column name. `carry`: other columns of
    the source passed through (e.g. the file a row came from). `today` resolves the date windows.
    """
    reasons, columns, text, typed, noted = [], [], [], [], []
    parsed_of = {c.name: typed_name(c.name) for c in e.columns}
    for col in e.columns:
        expr = col.name if col.name in present else "CAST(NULL AS VARCHAR)"
        if col.default is not None:
            expr = f"(CASE WHEN {blank(expr)} THEN {sql_literal(col.default)} ELSE {expr} END)"
        text.append(f"{expr} AS {col.name}")
        typed.append(f"{parse_expr(col, expr)} AS {typed_name(col.name)}")
        label = (labels or {}).get(col.name)
        for cond, msg in problems(col, col.name, label, parsed=typed_name(col.name), today=today, parsed_of=parsed_of):
            reasons.append(f"CASE WHEN {cond} THEN {msg} END")
            columns.append(f"CASE WHEN {cond} THEN {sql_literal(col.name)} END")
        if col.name in present:
            noted += [f"CASE WHEN {cond} THEN {msg} END" for cond, msg in notes(col, col.name, label)]
    reason = f"NULLIF(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "NULL"
    cols = f"NULLIF(array_to_string(list_filter([{', '.join(columns)}], lambda x: x IS NOT NULL), ','), '')" if columns else "NULL"
    note = f"NULLIF(concat_ws('; ', {', '.join(noted)}), '')" if noted else "CAST(NULL AS VARCHAR)"
    parsed = f"SELECT {', '.join(text + typed + ['_row_number', *carry])} FROM {source_relation}"
    return f"SELECT *, {reason} AS _reason, {cols} AS _columns, {note} AS _notes FROM ({parsed}) AS _parsed"


def typed_columns(e: Entity, alias: str = "") -> str:
    """The select list that loads validation_sql's output into raw.<entity> (same column order as the raw DDL)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{typed_name(c.name)} AS {c.name}" for c in e.columns)
