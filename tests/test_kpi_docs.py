"""docs/kpis.md is generated from the KPI seeds and registries (warehouse/kpi_docs.py); a stale copy fails."""

import csv
import re

from warehouse import kpi_docs

_ENTRY = re.compile(r"(?<![\w.])(\d+\.\d+)\s*:\s*(kpi_\w+)")
_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def _catalogue_ids() -> list[str]:
    with (kpi_docs.SEEDS / "kpi_definitions.csv").open(encoding="utf-8", newline="") as f:
        return [row["kpi_id"] for row in csv.DictReader(f)]


def _registered_in_macros() -> dict[str, str]:
    """Every "id:model" entry written in a registry macro file, read as text (independently of Jinja)."""
    found: dict[str, str] = {}
    for path in kpi_docs.registry_files():
        text = _COMMENT.sub("", path.read_text(encoding="utf-8"))
        for kpi_id, model in _ENTRY.findall(text):
            assert kpi_id not in found, f"KPI {kpi_id} is registered twice ({found[kpi_id]}, {model})"
            found[kpi_id] = model
    return found


def test_committed_kpi_docs_are_current():
    assert kpi_docs.KPI_DOCS.exists(), "docs/kpis.md is missing: run `procure docs`"
    assert kpi_docs.KPI_DOCS.read_text(encoding="utf-8") == kpi_docs.render_kpi_docs(), (
        "docs/kpis.md is stale: run `procure docs` and commit the result"
    )
    assert not kpi_docs.stale()


def test_committed_attribute_pages_are_current_and_cover_every_kpi_once():
    pages = kpi_docs.render_attribute_pages()
    for path, content in pages.items():
        assert path.exists() and path.read_text(encoding="utf-8") == content, (
            f"{path} is stale: run `procure docs` and commit the result")
    sections = [m for text in pages.values() for m in re.findall(r"^## (\d+\.\d+) ", text, re.MULTILINE)]
    assert sorted(sections) == sorted(_catalogue_ids())
    # each KPI's page says its basis, why it may be no_data and how its target is set
    for text in pages.values():
        for section in text.split("\n## ")[1:]:
            assert "**Basis.**" in section and "**Why it may say no_data.**" in section and "**Target.**" in section


def test_every_catalogue_kpi_appears():
    text = kpi_docs.render_kpi_docs()
    ids = _catalogue_ids()
    assert len(ids) == len(set(ids)) == 64
    for kpi_id in ids:
        assert re.search(rf"^### {re.escape(kpi_id)} ", text, re.MULTILINE), f"KPI {kpi_id} missing from docs/kpis.md"


def test_computed_ids_equal_the_registered_ones():
    registered = _registered_in_macros()
    assert kpi_docs.computed_kpi_models() == registered
    text = kpi_docs.render_kpi_docs()
    sections = text.split("\n### ")[1:]
    rendered = {s.split(" ", 1)[0]: re.search(r"^- \*\*Status\*\* (.*)$", s, re.MULTILINE).group(1) for s in sections}
    assert {kpi_id for kpi_id, status in rendered.items() if status.startswith("computed by")} == set(registered)
    for kpi_id, model in registered.items():
        assert rendered[kpi_id].startswith(f"computed by `{model}`")
    # every registered id is a catalogue KPI
    assert set(registered) <= set(_catalogue_ids())


def test_not_computed_kpis_say_why(monkeypatch):
    models = kpi_docs.computed_kpi_models()
    models.pop("1.1")
    monkeypatch.setattr(kpi_docs, "computed_kpi_models", lambda: models)
    text = kpi_docs.render_kpi_docs()
    section = text.split("### 1.1 ", 1)[1].split("\n### ", 1)[0]
    assert "- **Status** not computed: always no_data (no addressable purchases" in section


def test_write_then_not_stale(tmp_path, monkeypatch):
    target = tmp_path / "kpis.md"
    monkeypatch.setattr(kpi_docs, "KPI_DOCS", target)
    assert kpi_docs.stale()
    assert kpi_docs.write_kpi_docs() == [target]
    assert not kpi_docs.stale()
    assert kpi_docs.write_kpi_docs() == []
