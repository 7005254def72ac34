"""Pull one Socrata (SODA 2.x) dataset of a state open-data portal into a JSON Lines landing file.

Protocol subset (documented at https://dev.socrata.com/docs/: endpoints, queries, paging, app-tokens,
response-codes, system-fields):

- ``GET {scheme}://{domain}/resource/{dataset}.json`` with the SoQL parameters ``$select``, ``$where``,
  ``$order``, ``$limit`` and ``$offset``. The body is a JSON array of objects keyed by field name; values are
  mostly strings (numbers as ``"1234.50"``, floating timestamps as ``"2024-03-01T00:00:00.000"``), some are
  objects (locations); a field whose value is null is left out of its object. Each object is written as one
  line, unchanged. Response headers (X-SODA2-Fields, X-SODA2-Types, Last-Modified) are not needed.
- Paging: ``$limit=page_size`` and ``$offset`` advancing by the rows received, until a page has fewer rows than
  ``page_size``. The order is made stable with ``$order=<watermark>, :id`` (incremental) or ``$order=:id``.
- App token: read from ``os.environ[app_token_env]`` when set and sent only as the ``X-App-Token`` header (never
  in the URL), so it is in no log line, exception, output file, state file or result.
- Errors: a JSON body ``{"code": ..., "error": true, "message": ...}``. Connection errors, 202 (the docs say
  "retry"), 429 and 5xx are retried by urllib3's ``Retry`` with exponential back-off, honouring Retry-After
  (capped at RETRY_AFTER_MAX_S), up to ``max_retries`` times; then, or at once for any other status,
  `SocrataError` quotes what the API said. Redirects are not followed (they would carry the token to another
  host): point ``domain`` at the host the portal redirects to.

Incremental loads (``watermark`` set). ``state_file`` is one JSON object for any number of datasets, keyed
``"<domain>/<dataset>"``::

    {"data.ny.gov/abcd-1234": {"column": "check_date", "value": "2024-03-01T00:00:00.000",
                               "boundary_rows": ["<sha256 of a row>", ...], "fetched_at": "..."}}

The next fetch asks ``$where=(<where>) AND <watermark> >= '<value>'``. The boundary rule is ``>=`` plus
skipping: rows whose watermark equals the stored value are read again and skipped when their SHA-256 (of the
row as JSON with sorted keys) is in ``boundary_rows``, the rows that had that value last time. So a row that
arrives later with the same watermark value as the last one loaded is still picked up (``>`` would lose it),
and nothing is loaded twice. Caveats: a new row that is an exact duplicate of a boundary row (all selected
fields equal) is skipped, select ``:id`` to tell such rows apart; rows whose watermark is null are only read
by the first, full fetch (SoQL comparisons exclude nulls); the watermark is compared as SoQL compares a column
with a string literal (fine for timestamps and text; check numeric columns on the portal). A system-field
watermark (``:updated_at``) is not returned by default, so without ``select`` the connector asks for
``$select=*, <watermark>`` and the rows carry that extra field.

The output file is written to a temporary file in the same folder, fsynced and renamed into place; only then is
the state updated (the same way). A crash in between leaves the old watermark, so the next fetch reads those
rows again: a landing file may be delivered twice, never a row lost. No new rows: no file, state unchanged.
``$offset`` paging over a dataset that changes during the fetch can miss or repeat rows that move within the
order; new rows with a higher watermark land after the current page and are picked up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from warehouse.durable import fsync_dir

log = logging.getLogger("ingestion.socrata")

MAX_PAGE_SIZE = 50_000  # the SODA 2.0 maximum for $limit (2.1 has none; large pages time out)
RETRY_STATUSES = (202, 429, 500, 502, 503, 504)
RETRY_AFTER_MAX_S = 300

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")
_DATASET = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}")
_COLUMN = re.compile(r":?@?[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SocrataError(RuntimeError):
    """The API refused or failed a request. The message names domain, dataset and what the API said."""


class _BadValue(ValueError):
    def __init__(self, key: str, msg: str):
        super().__init__(f"socrata.{key}: {msg}")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _selects(select: str, column: str) -> bool:
    """Does a $select list return `column` (by name, `*` for dataset fields, `:*` for system fields)?"""
    items = {item.strip() for item in select.split(",")}
    return column in items or (":*" if column.startswith(":") else "*") in items


@dataclass(frozen=True)
class SocrataSource:
    domain: str  # "data.example.gov" (no scheme, no path; a port is allowed)
    dataset: str  # four-by-four id "abcd-1234"
    watermark: str | None = None  # column for incremental loads, e.g. ":updated_at" or "check_date"
    page_size: int = 50000
    where: str | None = None  # extra SoQL filter, ANDed
    select: str | None = None
    app_token_env: str = "SOCRATA_APP_TOKEN"  # the environment variable holding the token (optional)
    scheme: str = "https"
    timeout_s: float = 60
    max_retries: int = 5
    backoff_s: float = 1.0

    def __post_init__(self) -> None:
        def bad(key: str, msg: str, show: bool = True) -> None:
            raise _BadValue(key, f"{msg} (got {getattr(self, key)!r})" if show else msg)

        if not isinstance(self.domain, str) or not _DOMAIN.fullmatch(self.domain):
            bad("domain", "must be a host name such as 'data.ny.gov', without scheme or path")
        if not isinstance(self.dataset, str) or not _DATASET.fullmatch(self.dataset):
            bad("dataset", "must be a four-by-four dataset id such as 'abcd-1234'")
        if self.watermark is not None and not (isinstance(self.watermark, str) and _COLUMN.fullmatch(self.watermark)):
            bad("watermark", "must be a column name such as 'check_date' or ':updated_at'")
        for key in ("where", "select"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, str) and value.strip()):
                bad(key, "must be a non-empty SoQL expression")
        if not _is_int(self.page_size) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            bad("page_size", f"must be an integer from 1 to {MAX_PAGE_SIZE}")
        if not isinstance(self.app_token_env, str) or not _ENV_NAME.fullmatch(self.app_token_env):
            bad("app_token_env", "must be the name of an environment variable (not the token)", show=False)
        if self.scheme not in ("https", "http"):
            bad("scheme", "must be 'https' or 'http'")
        if not _is_number(self.timeout_s) or self.timeout_s <= 0:
            bad("timeout_s", "must be a number of seconds > 0")
        if not _is_int(self.max_retries) or self.max_retries < 0:
            bad("max_retries", "must be an integer >= 0")
        if not _is_number(self.backoff_s) or self.backoff_s < 0:
            bad("backoff_s", "must be a number of seconds >= 0")
        if self.select and self.watermark and not _selects(self.select, self.watermark):
            bad("select", f"must return the watermark column {self.watermark!r}")

    @classmethod
    def from_config(cls, block: dict, *, where_from: str = "") -> SocrataSource:
        """Build from the `socrata:` block of a mapping YAML; unknown keys and bad values raise ValueError naming
        the key and `where_from` (e.g. 'mappings/ny/payments.yml: socrata.page_size: ...')."""
        at = f"{where_from}: " if where_from else ""
        if not isinstance(block, dict):
            raise ValueError(f"{at}socrata: must be a mapping of settings, got {type(block).__name__}")
        allowed = [f.name for f in fields(cls)]
        for key in block:  # never echo the values here: a misplaced token must not end up in an error
            if key not in allowed:
                hint = " (put the token in an environment variable and name that in app_token_env)" \
                    if str(key).lower() in ("app_token", "token", "x-app-token") else ""
                raise ValueError(f"{at}socrata.{key}: unknown key{hint}; known keys: {', '.join(allowed)}")
        for key in ("domain", "dataset"):
            if key not in block:
                raise ValueError(f"{at}socrata.{key}: required")
        try:
            return cls(**block)
        except _BadValue as exc:
            raise ValueError(f"{at}{exc}") from None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.dataset}"


@dataclass
class FetchResult:
    file: Path | None  # the JSON Lines file written (None when no new rows)
    rows: int  # rows written
    pages: int  # page requests answered
    watermark_before: str | None
    watermark_after: str | None


def fetch(
    src: SocrataSource,
    out_file: Path,
    state_file: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    session: requests.Session | None = None,
) -> FetchResult:
    """Write the dataset's (new) rows to `out_file` as JSON Lines and advance the watermark in `state_file`.

    `progress(rows_written, pages)` is called after each page. A given `session` is used as is, with the
    retrying adapter mounted for this portal's URL prefix.
    """
    out_file, state_file = Path(out_file), Path(state_file)
    token = os.environ.get(src.app_token_env) or None
    entry = _read_state(state_file).get(src.name) if src.watermark else None
    if entry and entry.get("column") != src.watermark:
        log.warning("%s: the state's watermark is on %r, not %r: reading the whole dataset",
                    src.name, entry.get("column"), src.watermark)
        entry = None
    before = entry.get("value") if entry else None
    seen = set(entry.get("boundary_rows", ())) if entry else set()

    params = {}
    select = src.select or (f"*, {src.watermark}" if src.watermark and src.watermark.startswith(":") else None)
    if select:
        params["$select"] = select
    where = [f"({src.where})"] if src.where else []
    if before is not None:
        where.append(f"{src.watermark} >= '{str(before).replace(chr(39), chr(39) * 2)}'")
    if where:
        params["$where"] = " AND ".join(where)
    params["$order"] = f"{src.watermark}, :id" if src.watermark and src.watermark != ":id" else ":id"

    http = session or requests.Session()
    http.mount(f"{src.scheme}://{src.domain}/", HTTPAdapter(max_retries=_retry(src)))
    url = f"{src.scheme}://{src.domain}/resource/{src.dataset}.json"
    headers = {"Accept": "application/json"} | ({"X-App-Token": token} if token else {})

    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_file.parent, prefix=f".{out_file.name}.", suffix=".part")
    rows = pages = 0
    after, boundary = before, set()  # the highest watermark seen, and the digests of the rows that have it
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            offset = 0
            while True:
                page = _get_page(http, url, params | {"$limit": str(src.page_size), "$offset": str(offset)},
                                 headers, src, token)
                pages += 1
                for row in page:
                    if src.watermark and (value := row.get(src.watermark)) is not None:
                        if not isinstance(value, (str, int, float)):
                            raise SocrataError(f"Socrata {src.domain} dataset {src.dataset}: watermark column "
                                               f"{src.watermark!r} holds a {type(value).__name__}, not a value")
                        digest = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
                        if value != after:  # rows come in watermark order: a new, higher value
                            after, boundary = value, set()
                        boundary.add(digest)
                        if value == before and digest in seen:
                            continue  # loaded by the previous fetch
                    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
                    rows += 1
                if progress:
                    progress(rows, pages)
                if len(page) < src.page_size:
                    break
                offset += len(page)
            out.flush()
            os.fsync(out.fileno())
        if rows:
            os.replace(tmp_name, out_file)
            fsync_dir(out_file.parent)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
        if session is None:
            http.close()

    log.info("%s: %d new rows in %d pages%s", src.name, rows, pages, f" -> {out_file}" if rows else "")
    if not rows:
        return FetchResult(None, 0, pages, before, before)
    if src.watermark:
        if after is None:
            log.warning("%s: no row has a value in the watermark column %r; the state is not advanced",
                        src.name, src.watermark)
        else:
            state = _read_state(state_file)  # read again: the file may hold other datasets updated meanwhile
            state[src.name] = {"column": src.watermark, "value": after, "boundary_rows": sorted(boundary),
                               "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            _write_atomically(state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")
    return FetchResult(out_file, rows, pages, before, after)


def _retry(src: SocrataSource) -> Retry:
    return Retry(
        total=src.max_retries, connect=src.max_retries, read=src.max_retries, status=src.max_retries,
        backoff_factor=src.backoff_s, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True, retry_after_max=RETRY_AFTER_MAX_S,
        raise_on_status=False,  # hand back the last response, so that the error quotes the API
    )


def _get_page(http: requests.Session, url: str, params: dict, headers: dict, src: SocrataSource,
              token: str | None) -> list[dict]:
    what = f"Socrata {src.domain} dataset {src.dataset}"
    try:
        resp = http.get(url, params=params, headers=headers, timeout=src.timeout_s, allow_redirects=False)
    except requests.RequestException as exc:
        raise SocrataError(_redact(f"{what}: request failed (after up to {src.max_retries} retries): {exc}",
                                   token)) from exc
    shown = unquote(resp.url)  # the token is a header, never in the URL
    if resp.status_code != 200:
        log.warning("GET %s -> HTTP %d", shown, resp.status_code)
        raise SocrataError(_redact(_api_error(resp, what, src, token), token))
    try:
        page = resp.json()
    except ValueError:
        raise SocrataError(f"{what}: the answer is not JSON (Content-Type "
                           f"{resp.headers.get('Content-Type')!r}) for {shown}") from None
    if not isinstance(page, list) or not all(isinstance(row, dict) for row in page):
        raise SocrataError(f"{what}: expected a JSON array of rows, got {type(page).__name__} for {shown}")
    log.info("GET %s -> %d rows", shown, len(page))
    return page


def _api_error(resp: requests.Response, what: str, src: SocrataSource, token: str | None) -> str:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code, said = body.get("code") or body.get("errorCode"), body.get("message")
    else:
        code, said = None, " ".join(resp.text.split())[:300]
    msg = f"{what}: HTTP {resp.status_code}" + (f" {code}" if code else "") + (f": {said}" if said else "")
    if 300 <= resp.status_code < 400:
        msg += (f" (redirect to {resp.headers.get('Location')!r} not followed, so that the app token goes to "
                f"the configured host only: set socrata.domain to the host the portal redirects to)")
    elif resp.status_code in RETRY_STATUSES:
        msg += f" (gave up after {src.max_retries} retries)"
        if resp.status_code == 429 and not token:
            msg += f"; throttled without an app token: set one in ${src.app_token_env}"
    return msg


def _redact(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ValueError(f"{path}: the Socrata state file is not valid JSON ({exc}); fix or remove it") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: the Socrata state file must hold a JSON object")
    return state


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, rename over `path`: readers see old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        fsync_dir(path.parent)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
