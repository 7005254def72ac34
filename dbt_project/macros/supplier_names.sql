{#- v1 supplier-name normalisation: upper case, '&' -> AND, drop . , and the apostrophe (chr(39): a
    quote inside a pattern literal escapes differently by engine) so L.L.C. -> LLC and O'Neil -> ONEIL, other
    punctuation -> space, collapse spaces, then drop trailing legal-form suffixes (repeatedly, so
    "ACME CO INC" -> "ACME"). Falls back to the cleaned name when only a suffix would remain.
    Patterns are backslash-free on purpose (see PORTABILITY.md). -#}
{% macro normalize_supplier_name(name_expr) -%}
    {%- set cleaned -%}
        trim({{ regexp_replace_all(
            regexp_replace_all(
                regexp_replace_all(
                    regexp_replace_all('replace(upper(' ~ name_expr ~ '), chr(39), \'\')', '&', ' AND '),
                    '[.,]', ''),
                '[^A-Z0-9 ]', ' '),
            '[ ]+', ' ') }})
    {%- endset -%}
    {%- set suffixes = 'INC|INCORPORATED|CORP|CORPORATION|LLC|LLP|LP|PLLC|PC|CO|COMPANY|LTD|LIMITED' -%}
    coalesce(
        nullif(trim({{ regexp_replace_all(cleaned, '( (' ~ suffixes ~ '))+$', '') }}), ''),
        nullif({{ cleaned }}, '')
    )
{%- endmacro %}
