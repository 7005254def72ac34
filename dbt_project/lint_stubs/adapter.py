"""Stand-in for dbt's `adapter` in sqlfluff's jinja templater: `adapter.dispatch(name, ns)` returns a
function rendering the project's default__ implementation of the dispatched macros (macros/portable_types.sql)."""

_DEFAULTS = {
    "type_double": lambda: "double",
    "try_cast": lambda expression, data_type: f"try_cast({expression} as {data_type})",
    "regexp_replace_all": lambda expression, pattern, replacement: (
        f"regexp_replace({expression}, '{pattern}', '{replacement}', 'g')"
    ),
    "decimal_from_double": lambda expression, precision, scale: f"cast({expression} as decimal({precision}, {scale}))",
    "sorted_distinct_listagg": lambda expression, delimiter: (
        f"string_agg(distinct {expression}, {delimiter} order by {expression})"
    ),
}


def dispatch(macro_name, macro_namespace=None):
    if macro_name not in _DEFAULTS:
        raise KeyError(f"lint_stubs/adapter.py has no stand-in for dispatched macro {macro_name!r}: add one")
    return _DEFAULTS[macro_name]
