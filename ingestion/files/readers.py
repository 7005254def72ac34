"""Read a received file of any supported format into a Parquet file of text columns plus `_row_number`.

Every value stays text here (money and dates are parsed later, in SQL, with the reason for any failure), so
nothing is rounded or reinterpreted on the way in. `_row_number` is the 1-based data-row number in the file
(the header is row 0; for JSON the position of the record in its list).
"""

from __future__ import annotations

import codecs
import csv
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import ijson
import polars as pl

from ingestion.common.parsing import sql_ident, sql_literal
from ingestion.files.mapping import ReadOptions


class ReadError(ValueError):
    """The file cannot be read as a table; the message says why (the caller prefixes the file)."""


class DecodeError(ReadError):
    """A byte that is not valid in the file's encoding, with where it is: its offset, its line (1-based) and the
    bytes of that line before it."""

    def __init__(self, offset: int, encoding: str, line: int, before: bytes, where: str = ""):
        hint = "; set read.encoding (latin-1, cp1252) in a mapping" if encoding == "utf-8" else ""
        super().__init__(f"{where or f'line {line}'}: byte {offset} is not valid {encoding}{hint}")
        self.offset, self.encoding, self.line, self.before = offset, encoding, line, before


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for h in header:
        key = h.strip().lower()
        if key in seen:
            raise ReadError(f"header has the column {h.strip()!r} twice")
        seen.add(key)
    if not header or all(not h.strip() for h in header):
        raise ReadError("empty file (no header)")


def _decode_strictly(path: Path, encoding: str, out: Path | None) -> None:
    """Decode the whole file strictly (an undecodable byte is an error, never a silent '?'); with `out`, write
    it re-encoded as UTF-8 there. Streams in blocks: memory stays bounded."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 1  # the line the current block starts in
    tail = b""  # the bytes of that line before the block
    dst = open(out, "w", encoding="utf-8", newline="") if out is not None else None
    try:
        with open(path, "rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    # exc.start indexes the bytes the decoder saw: a partial character kept from the previous
                    # block, then this block (at most 3 bytes off for the line count; never across a newline)
                    start = max(0, exc.start - (len(exc.object) - len(block)))
                    head = block[:start]
                    line = lines + head.count(b"\n")
                    before = (tail + head).rsplit(b"\n", 1)[-1]
                    raise DecodeError(offset + start, encoding, line, before) from None
                if dst is not None:
                    dst.write(text)
                offset += len(block)
                lines += block.count(b"\n")
                tail = (tail + block).rsplit(b"\n", 1)[-1][-65536:]
            decoder.decode(b"", final=True)
    finally:
        if dst is not None:
            dst.close()


def read_csv(path: Path, out: Path, opts: ReadOptions, *, tsv: bool = False) -> list[str]:
    delimiter = "\t" if tsv else (opts.delimiter or ",")
    source = path
    skip = opts.header_row - 1
    try:
        if opts.encoding == "utf-8":
            _decode_strictly(path, "utf-8", None)
        else:
            source = out.with_suffix(".utf8.csv")
            _decode_strictly(path, opts.encoding, source)
    except DecodeError as exc:
        header = _header(path, delimiter, skip)
        if exc.line > skip + 1 and header:  # name the column: the fields before the byte, quoted ones included
            try:
                fields = next(csv.reader([exc.before.decode("utf-8", "replace")], delimiter=delimiter), [])
            except csv.Error:  # not text csv can read (a stray carriage return): the line, without a column
                raise exc from None
            column = max(len(fields) - 1, 0)
            if column < len(header):
                where = f"row {exc.line - skip - 1} [{header[column].strip()}]"
                raise DecodeError(exc.offset, exc.encoding, exc.line, exc.before, where) from None
        raise
    # Read the header ourselves: polars silently renames a repeated column (x, x_duplicated_0).
    header = _header(source, delimiter, skip)
    _check_header(header)
    if len(header) == 1 and not tsv:
        found = [d for d in (";", "\t", "|", ",") if d != delimiter and d in header[0]]
        if found:
            raise ReadError(f"the header is one column {header[0][:80]!r}: the file seems separated by {found[0]!r}, "
                            f"not {delimiter!r}; set read.delimiter in a mapping")
    lf = pl.scan_csv(source, separator=delimiter, skip_rows=skip, infer_schema=False, encoding="utf8-lossy",
                     quote_char=None if tsv else '"')
    lf.with_row_index("_row_number", offset=1).sink_parquet(out)
    _note_cut_short_last_line(source, out, delimiter, len(header))
    return lf.collect_schema().names()


def cut_short_path(out: Path) -> Path:
    """Beside a CSV's text Parquet: its last data row, when the file ends in the middle of that row."""
    return out.with_suffix(".cut_short")


def cut_short_row(out: Path) -> tuple[int, int, int] | None:
    """(row, fields it has, fields of the header) of the row read_csv found cut short, else None."""
    note = cut_short_path(out)
    if not note.exists():
        return None
    row, fields, expected = (int(x) for x in note.read_text(encoding="utf-8").split())
    return row, fields, expected


def _note_cut_short_last_line(source: Path, out: Path, delimiter: str, expected: int) -> None:
    """A file that ends without a line break, its last line holding fewer fields than the header, was cut short
    (a truncated export or transfer): polars pads the row with empty values, so the row would only read as
    "required value is empty". Note it (cut_short_row) for the loader to quarantine the row saying so. Only the
    end of the file is read."""
    with open(source, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    lines = tail.decode("utf-8", "replace").splitlines()
    try:
        fields = next(csv.reader(lines[-1:], delimiter=delimiter), [])
    except csv.Error:  # not a line csv can read alone (a quoted field spanning lines): nothing to say
        return
    if len(fields) >= expected:
        return
    # what polars made of it: the last row, its fields past the cut empty (a quoted value that spans lines
    # makes the last line look short while the row is whole: its last fields are there)
    last_row = pl.scan_parquet(out).tail(1).collect()
    if last_row.height == 0:
        return
    data = [c for c in last_row.columns if c != "_row_number"]
    if any(last_row[c][0] not in (None, "") for c in data[len(fields):]):
        return
    cut_short_path(out).write_text(f"{last_row['_row_number'][0]} {len(fields)} {expected}", encoding="utf-8")


def _header(path: Path, delimiter: str, skip: int) -> list[str]:
    """The header row (after `skip` rows), read leniently."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header: list[str] = []
        for _ in range(skip + 1):
            header = next(reader, [])
    return header


def read_xlsx(path: Path, out: Path, opts: ReadOptions) -> list[str]:
    kw: dict = {}
    if isinstance(opts.sheet, int) and not isinstance(opts.sheet, bool):
        kw["sheet_id"] = opts.sheet
    elif opts.sheet is not None:
        kw["sheet_name"] = str(opts.sheet)
    try:
        # the header as written: fastexcel renames a repeated column (Amount, Amount_1) when it reads the table
        written = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0,
                                read_options={"skip_rows": opts.header_row - 1, "n_rows": 1}, **kw)
        _check_header([str(v) for v in written.row(0) if v is not None and str(v).strip()] if written.height else [])
        df = pl.read_excel(path, engine="calamine", read_options={"header_row": opts.header_row - 1},
                           infer_schema_length=0, **kw)
    except ReadError:
        raise
    except Exception as exc:  # fastexcel raises its own error types: report them as "cannot be read"
        raise ReadError(str(exc).splitlines()[0]) from None
    header = df.columns
    df = df.with_columns(pl.all().cast(pl.Utf8)).with_row_index("_row_number", offset=1)
    df = df.with_columns(pl.col("_row_number").cast(pl.Int64))
    df.write_parquet(out)
    return header


def read_parquet(path: Path, out: Path, opts: ReadOptions) -> list[str]:
    if path.stat().st_size == 0:
        raise ReadError("empty file (zero bytes, not Parquet)")
    con = duckdb.connect()
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        _check_header(names)
        cols = ", ".join(f"CAST({sql_ident(n)} AS VARCHAR) AS {sql_ident(n)}" for n in names)
        con.execute(
            f"COPY (SELECT {cols}, CAST(row_number() OVER () AS BIGINT) AS _row_number FROM read_parquet(?)) "
            f"TO {sql_literal(str(out))} (FORMAT parquet)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise ReadError(str(exc).splitlines()[0]) from None
    finally:
        con.close()
    return names


def _scalar_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)  # nested objects stay JSON text


def _write_records(records, out: Path, batch_size: int = 50_000) -> list[str]:
    """Write an iterator of JSON objects as text-column Parquet parts, then one file; returns the columns."""
    parts: list[Path] = []
    columns: dict[str, None] = {}
    batch: list[dict] = []
    n = 0

    def flush() -> None:
        if not batch:
            return
        part = out.with_name(f"{out.stem}.part{len(parts)}.parquet")
        keys = list(dict.fromkeys(k for r in batch for k in r))
        frame = pl.DataFrame({k: [r.get(k) for r in batch] for k in keys} | {"_row_number": [r["_row_number"] for r in batch]},
                             schema={k: pl.Utf8 for k in keys} | {"_row_number": pl.Int64})
        frame.write_parquet(part)
        parts.append(part)
        batch.clear()

    for record in records:
        n += 1
        if not isinstance(record, dict):
            raise ReadError(f"record {n} is a {type(record).__name__}, not an object")
        row = {str(k): _scalar_text(v) for k, v in record.items() if str(k) != "_row_number"}
        columns.update(dict.fromkeys(row))
        row["_row_number"] = n
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    header = list(columns)
    if not parts:
        raise ReadError("no records")
    _check_header(header)
    con = duckdb.connect()
    try:
        cols = ", ".join(sql_ident(c) for c in header)
        files = "[" + ", ".join(sql_literal(str(p)) for p in parts) + "]"
        con.execute(f"COPY (SELECT {cols}, _row_number FROM read_parquet({files}, union_by_name = true) ORDER BY _row_number) "
                    f"TO {sql_literal(str(out))} (FORMAT parquet)")
    finally:
        con.close()
        for p in parts:
            p.unlink(missing_ok=True)
    return header


def read_json(path: Path, out: Path, opts: ReadOptions) -> list[str]:
    prefix = (opts.records + ".item") if opts.records else "item"
    try:
        with open(path, "rb") as fh:
            return _write_records(ijson.items(fh, prefix), out)
    except ijson.JSONError as exc:
        raise ReadError(f"not valid JSON: {exc}") from None


def read_jsonl(path: Path, out: Path, opts: ReadOptions) -> list[str]:
    def records():
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError as exc:
                    raise ReadError(f"line {i} is not valid JSON: {exc.msg} (column {exc.colno})") from None

    return _write_records(records(), out)


def read_table(path: Path, fmt: str, out: Path, opts: ReadOptions) -> list[str]:
    """Write `path` as text Parquet to `out`; returns the header. Raises ReadError for an unreadable file."""
    if path.stat().st_size == 0:
        raise ReadError("empty file (zero bytes, not Parquet)" if fmt == "parquet" else "empty file (no header)")
    try:
        if fmt in ("csv", "tsv"):
            return read_csv(path, out, opts, tsv=fmt == "tsv")
        if fmt == "xlsx":
            return read_xlsx(path, out, opts)
        if fmt == "parquet":
            return read_parquet(path, out, opts)
        if fmt == "json":
            return read_json(path, out, opts)
        if fmt == "jsonl":
            return read_jsonl(path, out, opts)
    except pl.exceptions.PolarsError as exc:
        raise ReadError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    raise ReadError(f"format {fmt!r} cannot be read as a table")
