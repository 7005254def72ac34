"""The data dictionary, the dbt raw sources and the raw Soda contracts are generated from the canonical schema;
stale copies fail."""

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


def test_raw_contracts_are_generated_and_orphans_are_stale(tmp_path, monkeypatch):
    from ingestion.common import contracts
    from ingestion.common.render import generated_files

    generated = generated_files()
    for name in list(load_schema()) + ["_loads"]:
        assert contracts.RAW_CONTRACTS_DIR / f"{name}.yml" in generated
    # A contract whose entity left the canonical schema is stale (write_generated removes it).
    folder = tmp_path / "raw"
    folder.mkdir()
    monkeypatch.setattr(contracts, "RAW_CONTRACTS_DIR", folder)
    orphan = folder / "retired_entity.yml"
    orphan.write_text("dataset: procure/raw/retired_entity\n")
    assert orphan in stale_files()
