"""The data dictionary and the dbt raw sources are generated from the canonical schema; stale copies fail."""

from ingestion.common.render import DATA_DICTIONARY, DBT_SOURCES, render_data_dictionary, render_dbt_sources, stale_files
from ingestion.common.schema import load_schema


def test_generated_files_are_current():
    assert stale_files() == [], "run `make docs` (procure docs) and commit the result"


def test_dictionary_lists_every_entity_and_column():
    text = render_data_dictionary()
    for e in load_schema().values():
        assert f"### {e.name}" in text
        for c in e.columns:
            assert f"| `{c.name}` | {c.type} |" in text


def test_sensitive_columns_are_marked():
    text = render_data_dictionary()
    sensitive = [c.name for e in load_schema().values() for c in e.columns if c.sensitive]
    assert {"tax_id", "bank_account", "contact_email"} <= set(sensitive)
    assert text.count("**sensitive**") == len(sensitive)


def test_sources_cover_every_entity():
    import yaml

    doc = yaml.safe_load(render_dbt_sources())
    tables = {t["name"] for t in doc["sources"][0]["tables"]}
    assert tables == set(load_schema())
    assert DATA_DICTIONARY.exists() and DBT_SOURCES.exists()
