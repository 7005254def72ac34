"""procure: generate, ingest, run, inspect the state-procurement warehouse."""

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    help="State-procurement analytics warehouse: synthetic data, ingestion, dbt marts, Soda gate, snapshots.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Bound to the real streams now: `procure run` redirects sys.stdout to the run's log while Dagster runs.
console = Console(file=sys.stdout, soft_wrap=True)
err = Console(file=sys.stderr, soft_wrap=True)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=True)


@app.command()
def generate(
    scale: float = typer.Option(None, help="Size: 1.0 is about one million payment lines; the default is small (about 20k)."),
    seed: int = typer.Option(42, help="Random seed; the same seed, scale and states give byte-identical files."),
    states: str = typer.Option(None, help="Comma-separated state codes, e.g. NV,TX,NY,MI (fiscal years start Jul, Sep, Apr, Oct)."),
    out: Optional[Path] = typer.Option(None, help="Data root: files go to OUT/landing/synthetic, ground truth to OUT/truth/synthetic. Default: $PROCURE_HOME."),
    force: bool = typer.Option(False, help="Overwrite synthetic data generated with other settings."),
    split_monthly: bool = typer.Option(False, "--split-monthly", help="Write each large transactional table as one file per calendar month (landing/synthetic/<entity>/<entity>_YYYY-MM.csv); same rows and ground truth."),
) -> None:
    """Generate a deterministic multi-state synthetic data set into the landing area (with ground truth beside it)."""
    from ingestion.synthetic.generator import DEFAULT_SCALE, DEFAULT_STATES, GENERATOR_VERSION, generate as run_generate
    from warehouse.settings import get_settings

    settings = get_settings()
    landing = (out / "landing" if out else settings.landing) / "synthetic"
    truth = (out / "truth" if out else settings.truth) / "synthetic"
    codes = [s.strip().upper() for s in states.split(",") if s.strip()] if states else list(DEFAULT_STATES)
    scale = DEFAULT_SCALE if scale is None else scale
    if scale <= 0:
        raise typer.BadParameter("must be > 0", param_hint="--scale")
    previous = _previous_generation(truth)
    wanted = {"seed": seed, "scale": scale, "states": codes, "generator_version": GENERATOR_VERSION}
    if previous and previous != wanted and not force:
        err.print(
            f"[red]refused:[/red] {landing} already holds data generated with {previous}; generating {wanted} over it would "
            "mix two data sets in the warehouse (loaded files stay loaded). Use another --out / PROCURE_HOME, "
            "or `make clean` to start over, or --force to overwrite anyway."
        )
        raise typer.Exit(2)
    with _progress() as progress:
        task = progress.add_task("generating", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"generating {name}", completed=done, total=total)

        try:
            result = run_generate(landing, truth, scale=scale, seed=seed, states=codes, progress=step,
                                  split_monthly=split_monthly)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2)
    total = sum(result.rows.values())
    console.print(f"generated {total:,} rows in {len(result.files)} files into {landing} (ground truth in {truth})")


def _previous_generation(truth: Path) -> dict | None:
    import json

    manifest = truth / "manifest.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    return {"seed": data.get("seed"), "scale": data.get("scale"), "states": list(data.get("states", [])),
            "generator_version": data.get("generator_version")}


@app.command()
def ingest(
    paths: Optional[list[Path]] = typer.Argument(None, help="Files to load with --mapping (anywhere on disk)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", "-m", help="Mapping YAML that maps PATHS onto canonical entities (docs/add-your-data.md)."),
    source: Optional[str] = typer.Option(None, help="Source name recorded as lineage for --mapping loads (default: the mapping's `source`)."),
    landing: Optional[Path] = typer.Option(None, help="Landing folder to load (default $PROCURE_LANDING)."),
    check: bool = typer.Option(False, "--check", help="Load nothing: validate the mapping, check PATHS have the columns it names, and report what loading would do (rows that would load or be quarantined, and why) from a trial load into a throwaway warehouse. Exit 0 when nothing would be quarantined or rejected, 1 otherwise."),
) -> None:
    """Load new landing files into raw.* without Dagster (the ledger skips files already loaded).

    With --mapping, load exactly PATHS with that mapping instead of scanning the landing folder.
    Exit codes: 0 loaded; 1 a file or mapping was rejected (with --check: or rows would be quarantined);
    2 a file named does not exist; 3 the warehouse is busy.
    """
    from ingestion.common.loader import WarehouseUpgradeError, mapped_files
    from ingestion.common.loader import ingest as run_ingest
    from ingestion.files.mapping import MappingError, load_mapping
    from warehouse.settings import get_settings

    settings = get_settings()
    files = None
    if paths and mapping is None:
        err.print("[red]files given without --mapping[/red]: name the mapping that says what they hold "
                  "(procure ingest --mapping MAPPING.yml FILE...), or put them in the landing folder")
        raise typer.Exit(2)
    if mapping is not None:
        try:
            m = load_mapping(mapping)
        except MappingError as exc:
            err.print(f"[red]mapping error[/red] {escape(str(exc))}")
            raise typer.Exit(1)
        missing = [p for p in paths or [] if not p.is_file()]
        if not paths or missing:
            err.print(f"[red]no such file[/red]: {', '.join(map(str, missing))}" if missing else "[red]--mapping needs the files to load[/red]")
            raise typer.Exit(2)
        if check:
            _check_mapping(m, paths)
            return
        files = mapped_files(m, paths, source=source, landing=landing or settings.landing)
    with _exclusive("procure ingest"), _progress() as progress:
        task = progress.add_task("ingesting", total=None)
        try:
            report = run_ingest(landing or settings.landing, settings.warehouse, files=files,
                                progress=lambda name, done, total: progress.update(
                                    task, description=f"ingesting {name}", completed=done, total=total))
        except WarehouseUpgradeError as exc:
            err.print(f"[red]refused:[/red] {escape(str(exc))}")
            raise typer.Exit(1)
    _print_ingest(report)
    if any(load.status == "rejected" for load in report.loads) or report.mapping_errors:
        raise typer.Exit(1)


def _check_mapping(m, paths: list[Path]) -> None:
    """procure ingest --check: the mapping is valid; per file whether it has every column the
    mapping names; then what loading would do (rows that would load or be quarantined, and why), found by the real
    loader on a throwaway warehouse. Exit 0 when nothing would be quarantined or rejected, else 1."""
    import tempfile

    from ingestion.files.dryrun import clean, describe, dry_run
    from ingestion.files.mapping import MappingError, missing_sources
    from ingestion.files.readers import ReadError, read_table

    entities = ", ".join(em.entity.name for em in m.entities) or "every OCDS entity"
    console.print(escape(f"mapping {m.path}: valid ({entities})"), highlight=False)
    failed = False
    readable = []
    with tempfile.TemporaryDirectory(prefix="procure-check-") as tmp:
        for path in paths:
            if m.read.format == "ocds":
                readable.append(path)
                continue
            try:
                header = read_table(path, m.format_for(path), Path(tmp) / "t.parquet", m.read)
            except (ReadError, MappingError) as exc:
                err.print(f"  [red]{escape(str(path))}: cannot be read: {escape(str(exc))}[/red]")
                failed = True
                continue
            missing = missing_sources(m, header)
            if missing:
                err.print(f"  [red]{escape(str(path))}: missing column(s) {escape(', '.join(missing))}[/red]")
                failed = True
            else:
                console.print(escape(f"  {path}: has every column the mapping names"), highlight=False)
                readable.append(path)
    if readable:
        console.print("what loading would do (a trial load into a throwaway warehouse; yours is not touched):")
        checks = dry_run(m, readable)
        for check in checks:
            for line in describe(check):
                console.print(escape(line), highlight=False)
        if not clean(checks):
            quarantined = sum(c.would_quarantine for c in checks)
            rejected = sum(c.status == "rejected" for c in checks)
            err.print(f"[red]not clean:[/red] {quarantined:,} row(s) would be quarantined, {rejected} file/entity load(s) "
                      "rejected; fix the mapping (or the export) and check again")
            failed = True
    if failed:
        raise typer.Exit(1)


@app.command(name="map")
def map_(
    suggest_file: Optional[Path] = typer.Option(None, "--suggest", metavar="FILE", help="Draft a mapping for this file (CSV, TSV, XLSX, Parquet, JSON, JSON Lines) from its header and values."),
    entities: Optional[list[str]] = typer.Option(None, "--entity", "-e", help="Map onto this canonical entity instead of the best-fitting one (repeatable: the first is the file's grain, e.g. --entity purchase_order_lines --entity purchase_orders)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the draft to this file instead of standard output (an existing file is kept unless --force)."),
    force: bool = typer.Option(False, "--force", help="With --out: overwrite an existing file."),
    rows: int = typer.Option(2000, "--rows", min=1, help="Data rows sampled from the head of the file."),
) -> None:
    """Draft a mapping YAML for a file: which canonical entity it most likely holds, which of its columns fills each
    canonical column (header words against the data dictionary, weighed by the values), date formats and money
    formats found in the values, each guess with its confidence in a comment, and a TODO for every required column
    it could not place. Edit it, then `procure ingest --check --mapping DRAFT.yml FILE`: the mapping is refused
    while a TODO is left. Exit 0 drafted; 2 the file cannot be read, no column of it matches, or --out exists."""
    from ingestion.files.suggest import SuggestError, suggest

    if suggest_file is None:
        err.print("say what to do: procure map --suggest FILE (drafts a mapping from the file's header and values)")
        raise typer.Exit(2)
    if out is not None and out.exists() and not force:
        err.print(escape(f"refused: {out} exists; choose another --out or add --force to overwrite it"), highlight=False)
        raise typer.Exit(2)
    try:
        draft = suggest(suggest_file, entities or None, rows=rows)
    except SuggestError as exc:
        err.print(f"[red]cannot suggest:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2)
    todo = draft.text.count("{TODO:")
    summary = (f"{suggest_file.name} -> {', '.join(draft.entities)}; "
               + (f"{todo} TODO(s) to fill in" if todo else "no TODO left: check each guess"))
    if out is None:
        sys.stdout.write(draft.text)
        sys.stdout.flush()
        err.print(escape(summary), highlight=False)
        return
    try:
        with open(out, "w" if force else "x", encoding="utf-8") as fh:
            fh.write(draft.text)
    except FileExistsError:
        err.print(escape(f"refused: {out} exists; choose another --out or add --force to overwrite it"), highlight=False)
        raise typer.Exit(2)
    except OSError as exc:
        err.print(escape(f"cannot write {out}: {exc.strerror or exc}"), highlight=False)
        raise typer.Exit(2)
    console.print(escape(f"wrote {out}: {summary}; then: procure ingest --check --mapping {out} {suggest_file}"),
                  highlight=False)


@app.command()
def fetch(
    mapping: Path = typer.Option(..., "--mapping", "-m", help="Mapping YAML with a `socrata:` block (domain, dataset, watermark) and the field mapping."),
) -> None:
    """Pull a Socrata open-data dataset's new rows (incremental by the mapping's watermark column) into
    $PROCURE_HOME/fetched/<source>/ as JSON Lines (kept: the received data), then load them with the mapping. An app token is read from the
    environment variable the mapping names (default SOCRATA_APP_TOKEN) and never printed or logged."""
    from datetime import datetime, timezone

    from ingestion.common.loader import ingest as run_ingest
    from ingestion.common.loader import mapped_files
    from ingestion.files.mapping import MappingError, load_mapping
    from ingestion.socrata import SocrataError
    from ingestion.socrata import fetch as socrata_fetch
    from warehouse.settings import get_settings

    settings = get_settings()
    try:
        m = load_mapping(mapping)
    except MappingError as exc:
        err.print(f"[red]mapping error[/red] {escape(str(exc))}")
        raise typer.Exit(1)
    if m.socrata is None:
        err.print(f"[red]{escape(str(mapping))} has no `socrata:` block[/red] (domain, dataset, watermark): nothing to fetch")
        raise typer.Exit(2)
    source = m.source or m.socrata.dataset
    root = settings.home / "fetched"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = root / source / f"{m.socrata.dataset}-{stamp}.jsonl"
    state = settings.home / "status" / "socrata_watermarks.json"
    with _exclusive("procure fetch"), _progress() as progress:
        task = progress.add_task(f"fetching {m.socrata.name}", total=None)
        try:
            result = socrata_fetch(m.socrata, out, state,
                                   progress=lambda rows, pages: progress.update(task, description=f"fetching {m.socrata.name}: {rows:,} rows, {pages} page(s)"))
        except SocrataError as exc:
            err.print(f"[red]fetch failed[/red] {escape(str(exc))}")
            raise typer.Exit(1)
        if result.file is None:
            console.print(f"{m.socrata.name}: no new rows (watermark {result.watermark_before})")
            return
        console.print(f"{m.socrata.name}: {result.rows:,} row(s) in {result.pages} page(s) -> {result.file}; "
                      f"watermark {result.watermark_before} -> {result.watermark_after}")
        report = run_ingest(root, settings.warehouse, files=mapped_files(m, [result.file], source=source, landing=root))
    _print_ingest(report)
    if any(load.status == "rejected" for load in report.loads):
        raise typer.Exit(1)


@app.command()
def reference(
    states: Optional[list[str]] = typer.Option(None, "--state", "-s", help="Two-letter USPS code of a US state (or DC) whose data you load (repeatable)."),
    countries: Optional[list[str]] = typer.Option(None, "--country", "-c", help="ISO 3166-1 country code (MX or MEX) or ISO 3166-2 subdivision code (MX-CMX) (repeatable): name from ISO 3166, fiscal-year start from the CIA World Factbook, currency from Unicode CLDR, holidays from the holidays package."),
    code: Optional[str] = typer.Option(None, "--code", help="A code of your own (needs --name, --fiscal-year-start and --currency); with one --country: the code its rows are stored under (e.g. --country CA --code CAN beside California's CA)."),
    name: Optional[str] = typer.Option(None, "--name", help="Name for --code, or instead of ISO 3166's for one --country."),
    fiscal_year_start: Optional[int] = typer.Option(None, "--fiscal-year-start", min=1, max=12, help="Month (1-12) the fiscal year starts (1 = calendar year); required where no source here knows it."),
    currency: Optional[str] = typer.Option(None, "--currency", help="ISO 4217 code of the money (e.g. EUR); required for --code and for a country with several currencies."),
    holidays_of: Optional[str] = typer.Option(None, "--holidays", metavar="COUNTRY[-SUBDIV]", help="For --code: take the public holidays of this country (e.g. MX or MX-CMX)."),
    first_year: int = typer.Option(2019, help="First calendar year of holidays."),
    last_year: int = typer.Option(2027, help="Last calendar year of holidays."),
    landing: Optional[Path] = typer.Option(None, help="Landing folder (default $PROCURE_LANDING)."),
) -> None:
    """Write the reference tables a real installation needs (states with their fiscal-year start and currency,
    public holidays) into <landing>/reference/, to be loaded with your own exports (docs/add-your-data.md).

    A "state" is a US state (--state NV), a country or subdivision (--country MX, --country MX-CMX) or a code of
    your own (--code XYZ --name "..." --fiscal-year-start 4 --currency EUR). Rows already in states.csv and
    holidays.csv for other codes are kept; a code written again is replaced. Exit 2 when a fact is missing or wrong
    (the message names the option)."""
    from ingestion.reference.tables import ReferenceError, country, custom, us_state, write_reference
    from warehouse.settings import get_settings

    states, countries = states or [], countries or []
    try:
        if not (states or countries or code):
            raise ReferenceError("say what to write: --state XX (a US state), --country CC (an ISO 3166 country or "
                                 "subdivision) or --code XYZ with --name, --fiscal-year-start and --currency")
        overrides = name is not None or fiscal_year_start is not None or currency is not None
        if (overrides or code) and len(countries) > 1:
            raise ReferenceError("--code, --name, --fiscal-year-start and --currency apply to one --country at a time")
        if holidays_of and (countries or not code):
            raise ReferenceError("--holidays goes with --code (a --country takes its own holidays)")
        rows = [us_state(s) for s in states]
        if countries:
            rows += [country(countries[0], as_code=code, name=name, fiscal_year_start=fiscal_year_start, currency=currency)]
            rows += [country(c) for c in countries[1:]]
        elif code:
            rows.append(custom(code, name=name, fiscal_year_start=fiscal_year_start, currency=currency, holidays_country=holidays_of))
        elif overrides:
            raise ReferenceError("--name, --fiscal-year-start and --currency go with --country or --code (a US state's are known)")
        written = write_reference(landing or get_settings().landing, rows, range(first_year, last_year + 1))
    except ReferenceError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2)
    for r in rows:
        console.print(escape(f"{r.code}: {r.name}, fiscal year from month {r.fiscal_year_start_month}, {r.currency}"), highlight=False)
        for note in r.notes:
            console.print(escape(f"  {note}"), highlight=False)
    for path in written:
        console.print(f"wrote {path}")


@contextmanager
def _exclusive(what: str) -> Iterator[None]:
    """Hold the warehouse for a command that writes it; refuse at once (exit 3) naming the holder."""
    from warehouse.lock import WarehouseBusy, warehouse_lock

    try:
        lock = warehouse_lock(what, timeout_s=0)
        lock.__enter__()
    except WarehouseBusy as exc:
        err.print(f"[red]refused:[/red] {escape(str(exc))}")
        raise typer.Exit(3)
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


@app.command()
def loads(
    entity: Optional[str] = typer.Option(None, help="Only this entity (e.g. payments)."),
    load_status: Optional[str] = typer.Option(None, "--status", help="Only loads in this status: loaded, rejected, retracted."),
    limit: int = typer.Option(50, help="Newest N loads."),
) -> None:
    """List the load ledger raw._loads, newest first: one line per file load with its counts."""
    import duckdb

    from warehouse.settings import get_settings

    settings = get_settings()
    if not settings.warehouse.exists():
        console.print("no warehouse yet: nothing has been loaded")
        return
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error as exc:
        err.print(f"[red]error:[/red] cannot open {settings.warehouse} read-only (a run may be writing it): {escape(str(exc))}")
        raise typer.Exit(3)
    try:
        rows = con.execute(
            "SELECT load_id, entity, file, status, rows_in, rows_loaded, rows_quarantined, finished_at, message"
            " FROM raw._loads WHERE (? IS NULL OR entity = ?) AND (? IS NULL OR status = ?)"
            " ORDER BY finished_at DESC, load_id DESC LIMIT ?",
            [entity, entity, load_status, load_status, limit],
        ).fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        con.close()
    if not rows:
        console.print("no loads match")
        return
    for load_id, ent, file, st, rows_in, loaded, quarantined, finished, message in rows:
        line = (f"{load_id}  {ent}  {st}  {file}  in {rows_in:,} = loaded {loaded:,} + quarantined {quarantined:,}  "
                f"at {finished:%Y-%m-%d %H:%M:%S} UTC")
        console.print(escape(line + (f"  ({message})" if message else "")), highlight=False)


@app.command()
def retract(
    load_id: Optional[str] = typer.Argument(None, help="The load to take out (an id from `procure loads`)."),
    file: Optional[str] = typer.Option(None, "--file", help="Take back every load of this file (its path under the landing area, e.g. nevada_epro/contracts.csv, or the file itself) and hold its content back from loading again."),
    readmit: bool = typer.Option(False, "--readmit", help="With --file: lift the hold, so the file loads at the next run."),
    reason: str = typer.Option("", help="Why (kept in the ledger's message)."),
) -> None:
    """Take loads back out: delete their raw and quarantined rows and mark them retracted.

    With a LOAD_ID, that one load (its file can load again at the next run). With --file PATH, every load of the
    file (every entity a mapping made of it), and its content is held back: later runs skip it until it changes
    or `procure retract --file PATH --readmit`. Rebuild the facts afterwards with `procure run --full-refresh`
    (an incremental run only looks at new loads)."""
    from ingestion.common.loader import IngestionError
    from ingestion.common.loader import retract as run_retract
    from ingestion.common.loader import retract_file

    if (load_id is None) == (file is None):
        err.print("[red]refused:[/red] give either a LOAD_ID or --file PATH")
        raise typer.Exit(2)
    if readmit and file is None:
        err.print("[red]refused:[/red] --readmit goes with --file PATH")
        raise typer.Exit(2)
    with _exclusive(f"procure retract {load_id or file}"):
        try:
            if file is not None:
                done = retract_file(file, reason=reason, readmit=readmit)
            else:
                one = run_retract(load_id, reason=reason)
        except IngestionError as exc:
            err.print(f"[red]refused:[/red] {escape(str(exc))}")
            raise typer.Exit(2)
    if file is not None and readmit:
        console.print(escape(f"{done.file}: re-admitted ({done.readmitted} hold(s) lifted); it loads at the next run"),
                      highlight=False)
        return
    for one in ([one] if file is None else done.retractions):
        console.print(escape(f"retracted load {one.load_id} ({one.entity}, {one.file}): {one.rows_deleted:,} rows removed "
                             f"from raw.{one.entity}, {one.rows_unquarantined:,} from quarantine.{one.entity}"), highlight=False)
    if file is None:
        console.print("next: `procure run --full-refresh` to load the file again (if still in the landing area) and rebuild the facts")
    else:
        console.print(escape(f"{done.file}: held back ({len(done.held)} content version(s)); later runs skip it until it changes "
                             f"or `procure retract --file {file} --readmit`"), highlight=False)
        console.print("next: `procure run --full-refresh` to rebuild the facts without it")


def _print_ingest(report) -> None:
    table = Table(title="ingestion")
    for col in ("entity", "files", "skipped (already loaded)", "rows loaded", "rows quarantined"):
        table.add_column(col, justify="right" if col != "entity" else "left")
    for entity, t in sorted(report.by_entity().items()):
        table.add_row(entity, str(t["files"]), str(t["skipped"]), f"{t['rows_loaded']:,}", f"{t['rows_quarantined']:,}")
    console.print(table)
    # a file rejected for every entity it feeds (an unreadable OCDS file feeds up to 9) is reported once
    rejected: dict[tuple[str, str], list[str]] = {}
    for load in report.loads:
        if load.status == "rejected":
            rejected.setdefault((load.file, load.message), []).append(load.entity)
    for (_, message), entities in rejected.items():
        also = f" (entities: {', '.join(entities)})" if len(entities) > 1 else ""
        err.print(f"[red]rejected[/red] {escape(message + also)}")
    for load in report.loads:
        for sample in load.samples[:3]:
            console.print(f"  quarantined {escape(sample)}")
    for problem in report.unrecognised:
        err.print(f"[yellow]not loaded:[/yellow] {escape(problem)}")
    for problem in report.mapping_errors:
        err.print(f"[red]mapping error (its files were not loaded):[/red] {escape(problem)}")


@app.command()
def run(
    full_refresh: bool = typer.Option(
        False, "--full-refresh",
        help="Rebuild every model, and the facts incremental by fiscal month from scratch (dbt --full-refresh), "
             "instead of only what depends on the data that changed; runs (and publishes) even when nothing is new.",
    ),
) -> None:
    """Ingest, build the dbt models and tests, run the Soda gate and publish: one Dagster run on the persistent instance.

    Builds only what depends on the entities whose data changed since the current snapshot (everything when the
    code or settings changed, or on the first run); does nothing when nothing changed. Refuses at once (exit 3),
    naming the holder, while another run or process holds the warehouse."""
    from ingestion.common.loader import WarehouseUpgradeError
    from procure_cli.runner import RunRefused, run_pipeline

    with console.status("starting") as status:
        try:
            summary = run_pipeline(progress=lambda msg: status.update(msg), full_refresh=full_refresh)
        except RunRefused as exc:
            err.print(f"[red]refused:[/red] {escape(str(exc))}")
            raise typer.Exit(3)
        except (RuntimeError, WarehouseUpgradeError) as exc:  # the latter: from the check for anything new
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1)
    _print_summary(summary)
    if summary.status == "gate_failed":
        raise typer.Exit(2)
    if summary.status not in ("success", "up_to_date"):
        raise typer.Exit(1)


def _print_summary(summary) -> None:
    from warehouse.settings import get_settings

    settings = get_settings()
    table = Table(title=f"run {summary.run_id}: {summary.status}")
    for col in ("entity", "files", "rows loaded", "rows quarantined", "new this run (loaded / quarantined)"):
        table.add_column(col, justify="right" if col != "entity" else "left")
    for entity, t in sorted(summary.entities.items()):
        table.add_row(entity, str(t["files_loaded"]), f"{t['rows_loaded']:,}", f"{t['rows_quarantined']:,}",
                      f"{t['rows_loaded_this_run']:,} / {t['rows_quarantined_this_run']:,}")
    console.print(table)
    for run_id in summary.interrupted:
        console.print(escape(f"an earlier run was killed half-way (Dagster run {run_id}): marked failed in Dagster; "
                             "this run builds what it had not published"), highlight=False)
    if summary.briefings_rewritten:
        console.print("the current snapshot's executive briefings were incomplete (a publication killed half-way): written now")
    if summary.builds:
        console.print(escape(f"built {summary.builds}" + (f". Why: {summary.note}" if summary.note else "")), highlight=False)
    if summary.status == "success":
        from warehouse.publish import BRIEFINGS_NAME, current_snapshot, gate_summary

        snap = current_snapshot()
        detail = gate_summary(snap.manifest) if snap is not None else "not recorded"
        console.print(escape(f"gate {detail} ({summary.checks_passed} Dagster asset checks passed)"), highlight=False)
        console.print(f"KPIs computed: {len(summary.kpis_computed)} ({', '.join(summary.kpis_computed)}) of {summary.kpis_defined} defined; "
                      f"{summary.kpi_rows:,} rows in kpi_values")
        console.print(f"snapshot {summary.snapshot_id} published; open it read-only at {settings.current_snapshot}")
        briefings = settings.published / BRIEFINGS_NAME / summary.snapshot_id / "index.html"
        if briefings.exists():
            console.print(f"executive briefings (one printable page per state and fiscal year): {briefings}")
    if summary.status == "up_to_date":
        console.print(escape(f"up to date: {summary.note}; snapshot {summary.snapshot_id} stays current "
                             "(procure run --full-refresh rebuilds and republishes anyway)"), highlight=False)
    for failure in summary.gate_failures:
        err.print(f"[red]gate failed[/red] on {escape(failure.asset)}, check {escape(failure.check)}:\n{escape(failure.summary)}")
    if summary.gate_failures:
        err.print("nothing new was published; the previous snapshot stays current")
    for error in summary.errors:
        err.print(f"[red]error:[/red] {escape(error)}")
    if summary.log_path:
        console.print(f"full log of this run: {summary.log_path}")
    console.print("dashboard: make dashboard  ->  http://127.0.0.1:8501")
    if summary.status != "up_to_date":  # an up-to-date check starts no Dagster run
        console.print("Dagster UI: make dev  ->  http://127.0.0.1:3000 (this run is listed under Runs)")


def _still_running(run_id: str) -> bool:
    """Whether the warehouse lock's holder is the `procure run` of run_id and its process is alive."""
    import os
    import socket

    from warehouse.lock import read_holder

    holder = read_holder()
    if holder is None or run_id not in holder.what or holder.pid is None:
        return False
    if holder.host and holder.host != socket.gethostname():
        return True  # another machine's process: cannot tell, assume it runs
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@app.command()
def status() -> None:
    """The last run, the current snapshot and the gate result."""
    from orchestration.environment import export_environment
    from procure_cli.runner import read_last_run
    from warehouse.publish import current_snapshot, gate_summary, list_snapshots, publication_log
    from warehouse.settings import get_settings

    export_environment()
    settings = get_settings()
    last = read_last_run()
    if last is None:
        console.print("no run yet: `make run` (or `procure generate && procure run`)")
    elif last["status"] == "running":
        if _still_running(last["run_id"]):
            console.print(f"a run is in progress: {last['run_id']} (started {last['started_at']})")
        else:
            console.print(escape(
                f"last run: {last['run_id']} interrupted (started {last['started_at']}, never finished: its process "
                "ended, killed or the machine stopped). The current snapshot below is the newest complete one; the next "
                "`procure run` builds what it had not published."), highlight=False)
    else:
        console.print(f"last run: {last['run_id']} {last['status']} (started {last['started_at']}, finished {last['finished_at']})")
        if last.get("builds"):
            console.print(escape(f"  built {last['builds']}"), highlight=False)
        if last["status"] == "success":
            console.print(f"gate: passed ({last['checks_passed']} Dagster asset checks: Soda contracts and dbt tests)")
        for f in last["gate_failures"]:
            console.print(escape(f"gate: FAILED on {f['asset']}, check {f['check']}: {f['summary']}"))
        for e in last["errors"]:
            console.print(escape(f"error: {e}"))
    snap = current_snapshot()
    if snap is None:
        console.print("current snapshot: none published yet")
        return
    console.print(f"current snapshot: {snap.snapshot_id} created {snap.created_at:%Y-%m-%d %H:%M:%S} UTC at {settings.current_snapshot}")
    console.print(escape(f"  gate: {gate_summary(snap.manifest)}; code version {snap.code_version}"))
    if last and last["status"] == "up_to_date":
        console.print(escape(f"the last run found nothing to do: {last.get('note') or 'nothing new'}"), highlight=False)
    elif last and last["status"] not in ("success", "running"):
        console.print("the last run did not publish: the previous snapshot stays current; it is from an earlier, good run (its gate passed)")
    newest = list_snapshots()[0]
    if newest.snapshot_id != snap.snapshot_id:
        switch = next((e for e in reversed(publication_log()) if e.get("snapshot_id") == snap.snapshot_id), None)
        when = f" on {switch['at']}" if switch and switch.get("action") == "rollback" else ""
        console.print(f"rolled back{when}: a newer snapshot {newest.snapshot_id} exists but is not current")


@app.command()
def snapshots(as_json: bool = typer.Option(False, "--json", help="Print the snapshots and their manifests as JSON.")) -> None:
    """List the kept snapshots, newest first, with their gate results (the current one is marked)."""
    import json

    from warehouse.publish import gate_summary, list_snapshots

    kept = list_snapshots()
    if as_json:
        console.print_json(json.dumps([
            {"snapshot_id": s.snapshot_id, "current": s.is_current, "created_at": s.created_at.isoformat(),
             "code_version": s.code_version, "tables": s.tables, "manifest": s.manifest} for s in kept
        ], default=str))
        return
    if not kept:
        console.print("no snapshots yet: `make run` (or `procure run`) publishes the first one")
        return
    from warehouse.publish import loads_summary

    # One line per snapshot (greppable, never truncated): '*' marks the current one.
    console.print("snapshots, newest first (* = current):")
    for s in kept:
        console.print(escape(
            f"{'*' if s.is_current else ' '} {s.snapshot_id}  created {s.created_at:%Y-%m-%d %H:%M:%S} UTC  "
            f"gate {gate_summary(s.manifest)}  loads {loads_summary(s.manifest)}  code {s.code_version}"
        ), highlight=False)
    console.print("make one current again: procure publish --rollback SNAPSHOT")


@app.command()
def coverage(
    state: Optional[str] = typer.Option(None, help="Only this state (code, e.g. NV)."),
    fiscal_year: Optional[int] = typer.Option(None, "--fiscal-year", help="Only this fiscal year (default: each state's latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print every row of kpi_coverage for the selection as JSON."),
) -> None:
    """Which KPIs the published data computes, per state and fiscal year, on which basis, and for each KPI
    without data the inputs the state does not deliver (table kpi.kpi_coverage of the current snapshot)."""
    import json

    import duckdb

    from warehouse.publish import CURRENT_NAME
    from warehouse.settings import get_settings

    path = get_settings().published / CURRENT_NAME
    if not path.exists():
        err.print(f"no published snapshot at {path}: run `procure run` first")
        raise typer.Exit(1)
    con = duckdb.connect(str(path), read_only=True)
    try:
        if "kpi_coverage" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}:
            err.print("the current snapshot has no kpi_coverage table (published before it existed): run `procure run`")
            raise typer.Exit(1)
        where, params = ["true"], []
        if state:
            where.append("state_code = ?")
            params.append(state.upper())
        if fiscal_year is not None:
            where.append("fiscal_year = ?")
            params.append(fiscal_year)
        else:
            where.append("fiscal_year = (SELECT max(fiscal_year) FROM kpi_coverage AS l WHERE l.state_code = c.state_code)")
        cur = con.execute(
            f"SELECT * FROM kpi_coverage AS c WHERE {' AND '.join(where)} "
            "ORDER BY state_code, fiscal_year, attribute_id, string_split(kpi_id, '.')[2]::int", params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        err.print("no kpi_coverage rows for that selection")
        raise typer.Exit(1)
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        cells.setdefault((r["state_code"], r["fiscal_year"]), []).append(r)
    for (code, year), items in cells.items():
        done = [r for r in items if r["is_computed"]]
        bases = sorted({r["basis"] for r in done if r["basis"]})
        console.print(escape(f"{code} fiscal year {year}: {len(done)} of {len(items)} KPIs computed"
                             + (f" (money on basis: {', '.join(bases)})" if bases else "")), highlight=False)
        console.print(escape("  computed: " + (", ".join(
            r["kpi_id"] + (f" [{r['basis']}]" if r["basis"] else "") for r in done) or "none")), highlight=False)
        missing: dict[str, list[str]] = {}
        for r in items:
            if not r["is_computed"]:
                missing.setdefault(r["missing_inputs"] or "(inputs delivered, no rows dated in the year)", []).append(r["kpi_id"])
        if missing:
            console.print("  no data, and what would unlock it:", highlight=False)
            for need, ids in sorted(missing.items(), key=lambda kv: -len(kv[1])):
                console.print(escape(f"    {need}: {', '.join(ids)}"), highlight=False)


@app.command()
def briefing(
    state: Optional[str] = typer.Option(None, "--state", help="Only this state (code, e.g. NV); default: every state."),
    year: Optional[int] = typer.Option(None, "--year", help="Only this fiscal year; default: every year with KPI values."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Where to write; default: published/briefings/<current snapshot id>/."),
    pdf: bool = typer.Option(False, "--pdf", help="Also print each briefing to PDF with headless Chromium (`make browser`)."),
) -> None:
    """Write the executive briefings (one printable HTML page per state and fiscal year) of the current snapshot."""
    from dashboards.briefing import BriefingError, briefing_pdf, briefing_targets, write_briefings
    from warehouse.publish import BRIEFINGS_NAME, current_snapshot
    from warehouse.settings import get_settings

    snap = current_snapshot()
    if snap is None:
        err.print("no snapshot published yet: `make run` (or `procure run`) publishes one and writes its briefings")
        raise typer.Exit(1)
    state = state.upper() if state else None
    targets = briefing_targets(snap.path)
    chosen = [t for t in targets if (state is None or t[0] == state) and (year is None or t[2] == year)]
    if not chosen:
        years: dict[str, list[int]] = {}
        for s, _, y in targets:
            years.setdefault(s, []).append(y)
        have = ", ".join(f"{s} FY{min(ys)}-FY{max(ys)}" for s, ys in years.items()) or "none"
        err.print(escape(f"nothing to write: no KPI values for {state or 'any state'} FY{year or '(any)'} in snapshot "
                         f"{snap.snapshot_id}; state x fiscal years with KPI values: {have}"))
        raise typer.Exit(2)
    out_dir = out or get_settings().published / BRIEFINGS_NAME / snap.snapshot_id
    try:
        paths = write_briefings(snap.path, out_dir, states=[state] if state else None, years=[year] if year else None)
        for path in paths:
            console.print(escape(str(path)), highlight=False)
        if pdf:
            for path in paths:
                if path.name != "index.html":
                    console.print(escape(str(briefing_pdf(path, path.with_suffix(".pdf")))), highlight=False)
    except BriefingError as exc:
        err.print(f"[red]briefing:[/red] {escape(str(exc))}")
        raise typer.Exit(1)
    console.print(f"briefings of snapshot {snap.snapshot_id}: open {out_dir / 'index.html'} in a browser and print (one page each)")


@app.command()
def publish(
    rollback_to: Optional[str] = typer.Option(
        None, "--rollback", metavar="SNAPSHOT",
        help="Make this kept snapshot current again (an id from `procure snapshots`, or 'previous').",
    ),
) -> None:
    """Switch the published snapshot. New snapshots are published only by a run whose gate passed (`procure run`)."""
    from warehouse.publish import PublishError, current_snapshot, rollback

    if rollback_to is None:
        err.print("nothing to do: new data is published by `procure run` (after the gate passes); "
                  "to make an older snapshot current: procure publish --rollback SNAPSHOT (see `procure snapshots`)")
        raise typer.Exit(2)
    before = current_snapshot()
    try:
        info = rollback(None if rollback_to == "previous" else rollback_to)
    except PublishError as exc:
        err.print(f"[red]refused:[/red] {escape(str(exc))}")
        raise typer.Exit(2)
    console.print(f"current snapshot is now {info.snapshot_id} (created {info.created_at:%Y-%m-%d %H:%M:%S} UTC)"
                  + (f", was {before.snapshot_id}" if before else ""))
    console.print("readers that reopen published/current.duckdb see it now; the next successful run publishes a new one")


@app.command()
def dev(
    host: str = typer.Option("127.0.0.1", help="Address to bind; keep 127.0.0.1 unless an authenticating proxy is in front."),
    port: int = typer.Option(3000, help="Port of the Dagster UI."),
) -> None:
    """Start the Dagster UI (and daemon) on the persistent instance, where `procure run` records its runs."""
    import os

    from orchestration.environment import export_environment
    from procure_cli.runner import dbt_parse
    from warehouse.settings import REPO_ROOT

    export_environment()
    dbt_parse()
    dagster = Path(sys.executable).parent / "dagster"
    console.print(f"Dagster UI on http://{host}:{port} (instance {os.environ['DAGSTER_HOME']})")
    os.chdir(REPO_ROOT)
    os.execv(str(dagster), [str(dagster), "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)])


@app.command()
def dashboard(
    host: str = typer.Option("127.0.0.1", help="Address to bind; keep 127.0.0.1 unless an authenticating proxy is in front."),
    port: int = typer.Option(8501, help="Port of the dashboard."),
) -> None:
    """Start the executive dashboard (reads the published snapshot only)."""
    import os

    from dashboards.server import command
    from orchestration.environment import export_environment
    from warehouse.settings import REPO_ROOT

    export_environment()
    argv = command(host, port)
    console.print(f"dashboard on http://{host}:{port}")
    os.chdir(REPO_ROOT)
    os.execv(argv[0], argv)


@app.command()
def docs(check: bool = typer.Option(False, "--check", help="Only report stale generated files (exit 1 if any).")) -> None:
    """Regenerate docs/data_dictionary.md and the dbt raw sources (canonical schema) and docs/kpis.md (KPI catalogue)."""
    from ingestion.common.render import stale_files, write_generated

    if check:
        stale = stale_files()
        for p in stale:
            err.print(f"stale: {p} (run `procure docs`)")
        raise typer.Exit(1 if stale else 0)
    for p in write_generated():
        console.print(f"wrote {p}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    scale: float = typer.Option(1.0, "--scale", help="Generator scale (1 = about one million payment lines)."),
) -> None:
    """Benchmark the whole pipeline at a scale: generate, full run, incremental run after 1 % new files, run with
    nothing new; per-stage time, peak memory and rows/s into bench/results (bench/README.md; other options:
    --work, --out, --reuse-data, --holdback-percent, --runs). Not part of the tests; in its own folder, never data/."""
    from warehouse.settings import REPO_ROOT

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from bench.pipeline import main as bench_main

    raise typer.Exit(bench_main(["--scale", f"{scale:g}", *ctx.args]))


def main() -> None:  # pragma: no cover
    sys.exit(app())
