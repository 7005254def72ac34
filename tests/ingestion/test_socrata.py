"""The Socrata connector against a local portal over real HTTP (no mocking of requests).

`FakePortal` serves one dataset at ``/resource/{id}.json`` from memory and implements the SoQL subset the
connector uses: ``$select`` (``*``, ``:*`` and field names), ``$where`` (``col OP 'value'`` joined by AND,
optionally parenthesised), ``$order`` (fields, ASC/DESC), ``$limit`` and ``$offset``. It answers in the
documented format (tests/fixtures/socrata/README.md): a JSON array of objects with string values and null fields
left out, X-SODA2-Fields / X-SODA2-Types / Last-Modified headers, and ``{"code", "error", "message"}`` error
bodies. It records every request; ``portal.script`` queues canned answers (503, 429, ...) served first.
"""

import json
import logging
import os
import re
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from ingestion.socrata import FetchResult, SocrataError, SocrataSource, fetch
from ingestion.socrata import connector

FIXTURES = Path(__file__).parents[1] / "fixtures" / "socrata"
DATASET = "pmt4-x9qz"
SPEC = json.loads((FIXTURES / "payments_fields.json").read_text())
TYPES = dict(zip(SPEC["fields"] + SPEC["system_fields"], SPEC["types"] + SPEC["system_types"]))
AGENCIES = ["Department of Transportation", "Office of General Services", "Department of Health"]
_COND = re.compile(r"\(?\s*(:?@?\w+)\s*(>=|<=|!=|>|<|=)\s*'((?:[^']|'')*)'\s*\)?")


def _json(status: int, body: object, **headers: str) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json;charset=utf-8", **headers}, json.dumps(body).encode()


def _soql_error(code: str, message: str) -> tuple[int, dict, bytes]:
    return _json(400, {"code": code, "error": True, "message": message, "data": {}})


class FakePortal:
    def __init__(self) -> None:
        self.rows: list[dict] = []  # with system fields; a missing key is a null
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict, bytes]] = []
        self.lock = threading.Lock()
        self.domain = ""

    def handle(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if path != f"/resource/{DATASET}.json":
            return _json(404, {"code": "not_found", "error": True, "message": f"Dataset not found: {path}"})
        user = SPEC["fields"]
        selected: list[str] = []
        for item in (s.strip() for s in query.get("$select", "*").split(",")):
            if item in ("*", ":*"):
                selected += user if item == "*" else SPEC["system_fields"]
            elif item in TYPES:
                selected.append(item)
            else:
                return _soql_error("query.soql.no-such-column", f"No such column: {item}")
        rows = list(self.rows)
        for cond in re.split(r"\s+AND\s+", query["$where"], flags=re.I) if "$where" in query else []:
            m = _COND.fullmatch(cond.strip())
            if not m:
                return _soql_error("query.compiler.malformed", f"Could not parse SoQL query \"{cond}\"")
            col, op, literal = m.group(1), m.group(2), m.group(3).replace("''", "'")
            if col not in TYPES:
                return _soql_error("query.soql.no-such-column", f"No such column: {col}; position: Map(row -> 1, "
                                   f"column -> 1, line -> \"{cond}\\n^\")")
            rows = [r for r in rows if r.get(col) is not None and _compare(col, r[col], op, literal)]
        for item in reversed([s.strip() for s in query.get("$order", ":id").split(",")]):
            col, _, direction = item.partition(" ")
            if col not in TYPES:
                return _soql_error("query.soql.no-such-column", f"No such column: {col}")
            rows.sort(key=lambda r, c=col: (r.get(c) is None, _typed(c, r.get(c))), reverse=direction.upper() == "DESC")
        offset, limit = int(query.get("$offset", 0)), int(query.get("$limit", 1000))
        page = [{k: r[k] for k in selected if r.get(k) is not None} for r in rows[offset:offset + limit]]
        return _json(200, page, **{
            "X-SODA2-Fields": json.dumps(selected), "X-SODA2-Types": json.dumps([TYPES[k] for k in selected]),
            "Last-Modified": "Mon, 04 Mar 2024 08:00:02 GMT", "X-Socrata-RequestId": secrets.token_hex(12)})


def _typed(col: str, value: object) -> object:
    if value is None:
        return ""
    return float(value) if TYPES[col] == "number" else str(value)


def _compare(col: str, value: object, op: str, literal: str) -> bool:
    a, b = _typed(col, value), _typed(col, literal)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "=": a == b, "!=": a != b}[op]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        portal: FakePortal = self.server.portal
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with portal.lock:
            portal.requests.append({"raw": self.path, "path": parts.path, "query": query,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}})
            canned = portal.script.pop(0) if portal.script else None
            status, headers, body = canned or portal.handle(parts.path, query)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("SOCRATA_APP_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def portal():
    p = FakePortal()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.portal = p
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    p.domain = f"127.0.0.1:{server.server_address[1]}"
    yield p
    server.shutdown()
    server.server_close()
    thread.join()


def source(portal: FakePortal, **overrides) -> SocrataSource:
    settings = {"domain": portal.domain, "dataset": DATASET, "scheme": "http", "backoff_s": 0, "max_retries": 3,
                "timeout_s": 10} | overrides
    return SocrataSource(**settings)


def make_row(i: int, *, updated: str = "2024-03-01T00:00:00.000Z", check_date: str | None = "2024-02-28T00:00:00.000",
             agency: str | None = None) -> dict:
    row = {":id": f"row-{i:06d}", ":created_at": updated, ":updated_at": updated, "check_number": f"{4410000 + i:010d}",
           "agency": agency or AGENCIES[i % 3], "vendor_name": f"VENDOR {i % 41} INC", "check_amount": f"{i * 37 % 9000}.{i % 100:02d}",
           "check_date": check_date, "fiscal_year": "2024",
           "vendor_location": {"latitude": "42.6526", "longitude": "-73.7562",
                               "human_address": json.dumps({"address": f"{i} STATE ST", "city": "ALBANY", "state": "NY"})}}
    return {k: v for k, v in row.items() if v is not None}


def ts(n: int) -> str:
    return f"2024-03-{1 + n // 24:02d}T{n % 24:02d}:00:00.000Z"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- paging -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_rows, n_requests", [(2500, 3), (2000, 3), (999, 1)])
def test_pages_through_the_dataset_in_a_stable_order(portal, tmp_path, caplog, n_rows, n_requests):
    caplog.set_level(logging.INFO, logger="ingestion.socrata")
    portal.rows = [make_row(i) for i in reversed(range(n_rows))]  # stored out of order: the $order must sort
    calls = []
    out = tmp_path / "landing" / "payments.jsonl"
    result = fetch(source(portal, page_size=1000), out, tmp_path / "state.json", progress=lambda r, p: calls.append((r, p)))

    assert result == FetchResult(out, n_rows, n_requests, None, None)
    assert [r["query"] for r in portal.requests] == [
        {"$order": ":id", "$limit": "1000", "$offset": str(offset)} for offset in range(0, 1000 * n_requests, 1000)]
    rows = read_jsonl(out)
    assert [r["check_number"] for r in rows] == [f"{4410000 + i:010d}" for i in range(n_rows)]  # all, once, in order
    assert calls[-1] == (n_rows, n_requests) and len(calls) == n_requests
    assert not (tmp_path / "state.json").exists()  # a full load keeps no state
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind
    logged = [r.getMessage() for r in caplog.records if r.name == "ingestion.socrata"]
    assert f"GET http://{portal.domain}/resource/{DATASET}.json?$order=:id&$limit=1000&$offset=0 -> {min(n_rows, 1000)} rows" in logged


def test_rows_are_written_exactly_as_the_api_returns_them(portal, tmp_path):
    fixture_rows = json.loads((FIXTURES / "payments_rows.json").read_text(encoding="utf-8"))
    portal.rows = fixture_rows
    out = tmp_path / "payments.jsonl"
    assert fetch(source(portal), out, tmp_path / "state.json").rows == 3

    in_id_order = sorted(fixture_rows, key=lambda row: row[":id"])  # what $order=:id asks for
    user_fields = [{k: v for k, v in row.items() if not k.startswith(":")} for row in in_id_order]
    assert read_jsonl(out) == user_fields  # strings stay strings, the location stays an object, nulls stay absent
    assert [list(r) for r in read_jsonl(out)] == [list(r) for r in user_fields]  # and the keys keep their order
    assert "Büro-Technik" in out.read_text(encoding="utf-8")


def test_an_empty_dataset_writes_no_file(portal, tmp_path):
    out = tmp_path / "payments.jsonl"
    assert fetch(source(portal), out, tmp_path / "state.json") == FetchResult(None, 0, 1, None, None)
    assert list(tmp_path.iterdir()) == []


# --- incremental ------------------------------------------------------------------------------------------------

def test_incremental_fetch_reads_only_new_rows_including_late_rows_at_the_boundary_value(portal, tmp_path):
    portal.rows = [make_row(i, updated=ts(i // 3)) for i in range(30)]  # three rows per :updated_at value
    src = source(portal, watermark=":updated_at", page_size=7)
    state = tmp_path / "state.json"

    first = fetch(src, tmp_path / "1.jsonl", state)
    assert (first.rows, first.pages, first.watermark_before, first.watermark_after) == (30, 5, None, ts(9))
    assert portal.requests[0]["query"] == {"$select": "*, :updated_at", "$order": ":updated_at, :id",
                                           "$limit": "7", "$offset": "0"}
    assert all(":updated_at" in r and ":id" not in r for r in read_jsonl(tmp_path / "1.jsonl"))
    saved = json.loads(state.read_text())[f"{portal.domain}/{DATASET}"]
    assert (saved["column"], saved["value"], len(saved["boundary_rows"])) == (":updated_at", ts(9), 3)

    # two rows arrive late with the boundary value, three with a later one
    portal.rows += [make_row(30, updated=ts(9)), make_row(31, updated=ts(9))]
    portal.rows += [make_row(i, updated=ts(10)) for i in (32, 33, 34)]
    portal.requests.clear()
    second = fetch(src, tmp_path / "2.jsonl", state)
    assert portal.requests[0]["query"]["$where"] == f":updated_at >= '{ts(9)}'"
    assert [r["check_number"] for r in read_jsonl(tmp_path / "2.jsonl")] == [f"{4410000 + i:010d}" for i in range(30, 35)]
    assert (second.rows, second.watermark_before, second.watermark_after) == (5, ts(9), ts(10))
    assert json.loads(state.read_text())[f"{portal.domain}/{DATASET}"]["value"] == ts(10)

    before = state.read_bytes()
    third = fetch(src, tmp_path / "3.jsonl", state)
    assert third == FetchResult(None, 0, 1, ts(10), ts(10))
    assert not (tmp_path / "3.jsonl").exists()
    assert state.read_bytes() == before


def test_incremental_on_a_dataset_column_with_an_extra_filter_and_null_watermarks(portal, tmp_path):
    dot = AGENCIES[0]
    portal.rows = [make_row(i, agency=AGENCIES[i % 2], check_date=f"2024-02-{1 + i:02d}T00:00:00.000") for i in range(10)]
    portal.rows.append(make_row(10, agency=dot, check_date=None))  # null watermark: omitted from the object
    src = source(portal, watermark="check_date", where=f"agency = '{dot}'", page_size=2)
    state = tmp_path / "state.json"

    first = fetch(src, tmp_path / "1.jsonl", state)
    assert [r["check_number"][-2:] for r in read_jsonl(tmp_path / "1.jsonl")] == ["00", "02", "04", "06", "08", "10"]
    assert first.watermark_after == "2024-02-09T00:00:00.000"  # the null row (sorted last) does not reset it
    assert portal.requests[0]["query"]["$where"] == f"(agency = '{dot}')"
    assert portal.requests[0]["query"]["$order"] == "check_date, :id" and "$select" not in portal.requests[0]["query"]

    portal.rows.append(make_row(11, agency=dot, check_date="2024-02-20T00:00:00.000"))
    portal.rows.append(make_row(12, agency=AGENCIES[1], check_date="2024-02-21T00:00:00.000"))
    portal.requests.clear()
    second = fetch(src, tmp_path / "2.jsonl", state)
    assert portal.requests[0]["query"]["$where"] == f"(agency = '{dot}') AND check_date >= '2024-02-09T00:00:00.000'"
    assert [r["check_number"][-2:] for r in read_jsonl(tmp_path / "2.jsonl")] == ["11"]
    assert second.watermark_after == "2024-02-20T00:00:00.000"


def test_a_crash_between_the_output_and_the_state_update_keeps_the_old_watermark(portal, tmp_path, monkeypatch):
    portal.rows = [make_row(i, updated=ts(i)) for i in range(10)]
    src = source(portal, watermark=":updated_at", page_size=4)
    state = tmp_path / "state" / "socrata.json"
    fetch(src, tmp_path / "1.jsonl", state)
    old_state = state.read_text()

    portal.rows += [make_row(i, updated=ts(i)) for i in (10, 11, 12)]
    real_replace = os.replace

    def replace_failing_for_the_state(src_path, dst_path):
        if Path(dst_path) == state:
            raise OSError("No space left on device")
        return real_replace(src_path, dst_path)

    monkeypatch.setattr(connector.os, "replace", replace_failing_for_the_state)
    with pytest.raises(OSError, match="No space left"):
        fetch(src, tmp_path / "2.jsonl", state)
    monkeypatch.setattr(connector.os, "replace", real_replace)

    assert len(read_jsonl(tmp_path / "2.jsonl")) == 3  # the output was complete before the state update
    assert state.read_text() == old_state
    assert list(state.parent.iterdir()) == [state]  # the state's temporary file is gone

    again = fetch(src, tmp_path / "3.jsonl", state)  # re-reads the rows of the failed run
    assert [r["check_number"][-2:] for r in read_jsonl(tmp_path / "3.jsonl")] == ["10", "11", "12"]
    assert again.watermark_before == ts(9) and json.loads(state.read_text())[src.name]["value"] == ts(12)


# --- errors and retries -----------------------------------------------------------------------------------------

def test_retries_5xx_then_succeeds(portal, tmp_path):
    portal.rows = [make_row(i) for i in range(5)]
    portal.script = [_json(503, {"code": "service_unavailable", "error": True, "message": "Service unavailable"})] * 2
    result = fetch(source(portal), tmp_path / "p.jsonl", tmp_path / "state.json")
    assert result.rows == 5 and result.pages == 1
    assert len(portal.requests) == 3 and len({r["raw"] for r in portal.requests}) == 1


def test_retries_429_honouring_retry_after(portal, tmp_path):
    portal.rows = [make_row(i) for i in range(5)]
    portal.script = [_json(429, {"code": "too_many_requests", "error": True, "message": "Too many requests"},
                           **{"Retry-After": "0"})]
    assert fetch(source(portal, max_retries=1), tmp_path / "p.jsonl", tmp_path / "state.json").rows == 5
    assert len(portal.requests) == 2


def test_gives_up_after_max_retries(portal, tmp_path):
    portal.script = [_json(503, {"code": "internal", "error": True, "message": "Upstream timed out"})] * 10
    with pytest.raises(SocrataError) as err:
        fetch(source(portal, max_retries=2), tmp_path / "p.jsonl", tmp_path / "state.json")
    assert DATASET in str(err.value) and portal.domain in str(err.value)
    assert "HTTP 503" in str(err.value) and "Upstream timed out" in str(err.value) and "2 retries" in str(err.value)
    assert len(portal.requests) == 3
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file, no state


def test_gives_up_on_connection_errors(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = SocrataSource(domain=f"127.0.0.1:{port}", dataset=DATASET, scheme="http", max_retries=2, backoff_s=0)
    with pytest.raises(SocrataError, match=rf"127\.0\.0\.1:{port} dataset {DATASET}: request failed"):
        fetch(src, tmp_path / "p.jsonl", tmp_path / "state.json")


def test_a_400_fails_at_once_quoting_the_api(portal, tmp_path):
    with pytest.raises(SocrataError) as err:
        fetch(source(portal, where="amount > '100'"), tmp_path / "p.jsonl", tmp_path / "state.json")
    assert "HTTP 400 query.soql.no-such-column: No such column: amount" in str(err.value)
    assert DATASET in str(err.value)
    assert len(portal.requests) == 1


def test_a_canned_error_body_is_quoted(portal, tmp_path):
    portal.script = [(400, {"Content-Type": "application/json"}, (FIXTURES / "error_no_such_column.json").read_bytes())]
    with pytest.raises(SocrataError, match=r"query\.soql\.no-such-column: No such column: amount; position"):
        fetch(source(portal), tmp_path / "p.jsonl", tmp_path / "state.json")


def test_redirects_are_not_followed(portal, tmp_path):
    portal.script = [(302, {"Location": "http://elsewhere.example/resource/x.json"}, b"")]
    with pytest.raises(SocrataError, match="redirect to 'http://elsewhere.example/resource/x.json' not followed"):
        fetch(source(portal), tmp_path / "p.jsonl", tmp_path / "state.json")
    assert len(portal.requests) == 1


# --- the app token ----------------------------------------------------------------------------------------------

def test_the_token_is_sent_as_a_header_and_appears_nowhere_else(portal, tmp_path, monkeypatch, caplog):
    token = "tok" + secrets.token_hex(16)
    monkeypatch.setenv("SOCRATA_APP_TOKEN", token)
    caplog.set_level(logging.DEBUG)  # urllib3's debug log included
    portal.rows = [make_row(i, updated=ts(i)) for i in range(5)]
    src = source(portal, watermark=":updated_at", page_size=2, max_retries=1)
    state = tmp_path / "state.json"
    result = fetch(src, tmp_path / "p.jsonl", state)

    errors = []
    for script, where in ([[], "nosuch > 'x'"], [[_json(503, {"message": "down"})] * 2, None],
                          [[_json(429, {"message": "slow down"}, **{"Retry-After": "0"})] * 2, None]):
        portal.script = list(script)
        with pytest.raises(SocrataError) as err:
            fetch(source(portal, where=where, max_retries=1), tmp_path / "q.jsonl", state)
        errors.append(err.value)

    assert portal.requests and all(r["headers"].get("x-app-token") == token for r in portal.requests)
    assert all(token not in r["raw"] for r in portal.requests)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert any(r.name == "ingestion.socrata" and "rows" in r.getMessage() for r in caplog.records)
    texts = [caplog.text, *(r.getMessage() for r in caplog.records), *(f"{e} {e!r} {e.__cause__!r}" for e in errors),
             (tmp_path / "p.jsonl").read_text(), state.read_text(), repr(result), repr(src)]
    assert not [t for t in texts if token in t]
    assert "429" in str(errors[2]) and "set one in" not in str(errors[2])  # a token was sent: no hint


def test_no_token_no_header(portal, tmp_path):
    portal.rows = [make_row(0)]
    fetch(source(portal, app_token_env="NY_SOCRATA_TOKEN"), tmp_path / "p.jsonl", tmp_path / "state.json")
    assert "x-app-token" not in portal.requests[0]["headers"]


# --- configuration ----------------------------------------------------------------------------------------------

WHERE = "mappings/ny/payments.yml"


def test_from_config_builds_a_source():
    block = {"domain": "data.ny.gov", "dataset": "abcd-1234", "watermark": ":updated_at", "page_size": 1000,
             "where": "fiscal_year >= '2020'", "timeout_s": 30, "app_token_env": "NY_SOCRATA_TOKEN"}
    src = SocrataSource.from_config(block, where_from=WHERE)
    assert src == SocrataSource(**block) and src.scheme == "https" and src.max_retries == 5


@pytest.mark.parametrize("change, key", [
    ({"pagesize": 100}, "pagesize"),
    ({"dataset": "ABCD-1234"}, "dataset"),
    ({"dataset": "abcd1234"}, "dataset"),
    ({"dataset": "abcd-12345"}, "dataset"),
    ({"dataset": None}, "dataset"),
    ({"domain": "https://data.ny.gov"}, "domain"),
    ({"domain": "data.ny.gov/resource"}, "domain"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": "1000"}, "page_size"),
    ({"page_size": True}, "page_size"),
    ({"page_size": 50001}, "page_size"),
    ({"scheme": "ftp"}, "scheme"),
    ({"watermark": "check_date; drop"}, "watermark"),
    ({"watermark": "check_date", "select": "agency, check_amount"}, "select"),
    ({"where": "  "}, "where"),
    ({"max_retries": -1}, "max_retries"),
    ({"backoff_s": "1s"}, "backoff_s"),
    ({"timeout_s": 0}, "timeout_s"),
    ({"app_token_env": "not a name"}, "app_token_env"),
])
def test_from_config_rejects_bad_blocks_naming_the_key(change, key):
    block = {"domain": "data.ny.gov", "dataset": "abcd-1234"} | change
    with pytest.raises(ValueError, match=rf"^{re.escape(WHERE)}: socrata\.{key}: "):
        SocrataSource.from_config(block, where_from=WHERE)


def test_from_config_requires_domain_and_dataset_and_never_echoes_a_token():
    with pytest.raises(ValueError, match=r"socrata\.dataset: required"):
        SocrataSource.from_config({"domain": "data.ny.gov"}, where_from=WHERE)
    with pytest.raises(ValueError, match="must be a mapping"):
        SocrataSource.from_config(["data.ny.gov"], where_from=WHERE)
    with pytest.raises(ValueError) as err:
        SocrataSource.from_config({"domain": "data.ny.gov", "dataset": "abcd-1234", "app_token": "s3cr3tT0ken"})
    assert str(err.value).startswith("socrata.app_token: unknown key (put the token in an environment variable")
    assert "s3cr3tT0ken" not in str(err.value)
    with pytest.raises(ValueError) as err:
        SocrataSource.from_config({"domain": "data.ny.gov", "dataset": "abcd-1234", "app_token_env": "s3cr3t-T0ken"})
    assert "s3cr3t-T0ken" not in str(err.value)


# ---------------------------------------------------------------------------------------------- procure fetch
FETCH_MAPPING = """
version: 1
source: ny_checkbook
socrata: {{domain: "{domain}", dataset: {dataset}, scheme: http, watermark: ":updated_at", backoff_s: 0, max_retries: 2}}
entities:
  payments:
    columns:
      payment_id: check_number
      state_code: {{value: NY}}
      agency_id: {{template: "NY-{{agency}}"}}
      supplier_id: {{template: "NY-NAME:{{vendor_name}}"}}
      payee_name: vendor_name
      payment_date: {{from: check_date, date_format: "%Y-%m-%dT%H:%M:%S.%g"}}
      amount: check_amount
"""


def test_procure_fetch_pulls_new_rows_and_loads_them_with_the_mapping(portal, procure_home, tmp_path, monkeypatch):
    from decimal import Decimal

    import duckdb
    from typer.testing import CliRunner

    from procure_cli.main import app

    monkeypatch.setenv("SOCRATA_APP_TOKEN", "tok-secret-123")
    mapping = tmp_path / "ny_payments.yml"
    mapping.write_text(FETCH_MAPPING.format(domain=portal.domain, dataset=DATASET), encoding="utf-8")
    portal.rows = [make_row(i, updated=ts(i)) for i in range(30)]
    runner = CliRunner()

    first = runner.invoke(app, ["fetch", "--mapping", str(mapping)])
    assert first.exit_code == 0, first.output
    portal.rows += [make_row(i, updated=ts(i)) for i in range(30, 45)]
    second = runner.invoke(app, ["fetch", "--mapping", str(mapping)])
    assert second.exit_code == 0, second.output
    assert "tok-secret-123" not in first.output + second.output

    con = duckdb.connect(str(procure_home / "warehouse" / "procure.duckdb"), read_only=True)
    try:
        rows, total = con.execute("SELECT count(*), sum(amount) FROM raw.payments").fetchone()
        quarantined = con.execute("SELECT count(*) FROM quarantine.payments").fetchone()[0]
        loads = con.execute("SELECT rows_in FROM raw._loads WHERE entity = 'payments' ORDER BY started_at").fetchall()
        dates = con.execute("SELECT min(payment_date), max(payment_date) FROM raw.payments").fetchone()
    finally:
        con.close()
    assert (rows, quarantined) == (45, 0)
    assert total == sum(Decimal(r["check_amount"]) for r in portal.rows)
    assert [n for (n,) in loads] == [30, 15]  # the second fetch brought only the new rows
    assert str(dates[0]) == "2024-02-28"
