"""Map one (compiled) OCDS release onto canonical entity rows.

Every value is text as a CSV export would carry it: dates cut to yyyy-mm-dd from ISO date-times as written (no
time-zone shift; anything else passes through for the loader to quarantine), amounts exactly as in the JSON
(numbers as their decimal text, strings as written, never via float), booleans 'true'/'false', absent = None.
Money rows keep the currency of their value object in `currency` (never converted).

Keys are unique across publishers: transactional ids are prefixed with the ocid (`<ocid>/<award.id>`, and
`<contract key>/<amendment or transaction id>`); organisations use `<identifier.scheme>-<identifier.id>` when the
identifier has both, else `<ocid>/<party id>` (then `<ocid>/<identifier.id>`, then `<ocid>/<name>` for OCDS 1.0
organisations written inline without an id). References are resolved through `parties` (by id) first, so
foreign keys use the same rule and join. One agency / supplier row per key per read (one file, or the files read
together); later sightings only fill columns that are still empty.

| entity | from | notes |
|---|---|---|
| agencies | buyer, tender.procuringEntity, parties with role buyer / procuringEntity / payer, transaction payers | agency_type and state_code are the arguments |
| suppliers | parties with role supplier / tenderer / payee, award suppliers, bid tenderers, contract suppliers (extension), transaction payees | tax_id only when the scheme is a tax or company register (see `_TAX_SCHEME`); city / supplier_state / postal_code = address locality / region / postalCode |
| requisitions | planning (one per release that has a non-empty planning) | id `<ocid>/planning`; agency = buyer, else procuringEntity; created_date = the date of the first release carrying planning (else the release date); estimated_amount / currency = planning.budget.amount; status derived from how far the process went: an active award or a contract -> ordered, a cancelled tender -> cancelled, a tender -> approved, else draft |
| solicitations | tender (one per release that has a non-empty tender) | id `<ocid>/<tender.id>` (`<ocid>/tender` when the tender has no id); agency = procuringEntity, else buyer; method = procurementMethod (absent: procurementMethodDetails as the mapping's codes: translate it); issue_date = tenderPeriod.startDate, else tender.datePublished / tender.date, else the date of the first release carrying the tender; close_date = tenderPeriod.endDate; estimated_value = tender.value; status from tender.status; is_electronic_submission from submissionMethod (empty when absent); is_emergency empty (no OCDS field says it) |
| bids | bids.details (bid extension) | bidder = the first tenderer that can be keyed (all tenderers become suppliers); is_responsive from the bid status |
| awards | awards[] | one row per award, supplier = suppliers[0] (all suppliers become suppliers; the value is not split); solicitation = the release's tender (empty when the release has no tender); published_date = date of the first release that carried the award (else the release date); status from awards.status (absent -> active: published without status = made) |
| contracts | contracts[] | contract_number = contract.id; supplier = the linked award's supplier (awardID), else contract.suppliers (extension, list or object); title = contract title, else award title, else tender title; vehicle = agency; agency = buyer, else procuringEntity; procurement_method from the tender; contracts.status is checked (a cancelled contract is quarantined); current_value = contract.value (after amendments, as OCDS compiles it); original_value / end_date = value / period.endDate in the first release that carried the contract (same as current when only a compiled release is available) |
| contract_amendments | contracts[].amendments[] (1.1) and contracts[].amendment (1.0); an amendment without content (`{}`, `{"changes": []}`, only nulls and empty arrays) is none | amendment_number = 1-based position; id = `<contract key>/<amendment.id or position>`; reason = rationale, else description; value_change empty (no OCDS field gives it) |
| payments | contracts[].implementation.transactions[] | agency = payer (1.1) / providerOrganization (1.0), else buyer; supplier = payee / receiverOrganization, else the contract's supplier; amount = value.amount (1.1) or amount.amount (1.0) |

commodity_code (solicitations, contracts) = the first item classification whose scheme is UNSPSC (CPV, GSIN and
publisher catalogues are not converted). OCDS 1.0 transaction organisations (providerOrganization /
receiverOrganization) are Identifier objects: they are matched to the party with the same identifier (preferring
the roles payer / buyer / procuringEntity, resp. payee / supplier / tenderer), else keyed by the identifier itself.
Fields named `<field>_<lang>` (name_en, title_fr, ...) are used when `<field>` is absent or empty, the release's
`language` first. Unknown fields (extensions) are ignored.

Codes (statuses, methods): codes.py says what every code of each list becomes, and what has no canonical
counterpart; a publisher's own codes are translated by `codes:` in its mapping file. A code that cannot be mapped
keeps the received text in its column and gives the row a `_problem` (the quarantine reason, naming the value) and
`_problem_columns`: the loader quarantines such rows with that reason.

Objects that cannot be identified (an award, contract, bid or transaction without id; an organisation without id,
identifier or name) are skipped and reported in `problems`; rows that merely miss a required value are emitted for
the loader to quarantine. A second row with a key already emitted from the files read together is skipped and reported.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import polars as pl

from ingestion.ocds.codes import STANDARD, Codes

ENTITY_COLUMNS: dict[str, list[str]] = {
    "requisitions": ["requisition_id", "state_code", "agency_id", "commodity_code", "created_date", "estimated_amount",
                     "currency", "status"],
    "agencies": ["agency_id", "state_code", "agency_name", "agency_type"],
    "suppliers": ["supplier_id", "supplier_name", "tax_id", "city", "supplier_state", "postal_code"],
    "solicitations": ["solicitation_id", "state_code", "agency_id", "title", "method", "commodity_code", "issue_date",
                      "close_date", "estimated_value", "currency", "is_emergency", "is_electronic_submission", "status"],
    "bids": ["bid_id", "solicitation_id", "supplier_id", "submitted_date", "bid_amount", "currency", "is_responsive"],
    "awards": ["award_id", "solicitation_id", "supplier_id", "award_date", "published_date", "award_value", "currency",
               "status"],
    "contracts": ["contract_id", "contract_number", "state_code", "agency_id", "supplier_id", "title", "vehicle",
                  "award_id", "commodity_code", "procurement_method", "signed_date", "start_date", "end_date",
                  "original_value", "current_value", "currency"],
    "contract_amendments": ["amendment_id", "contract_id", "amendment_number", "amendment_date", "value_change",
                            "reason", "currency"],
    "payments": ["payment_id", "state_code", "agency_id", "supplier_id", "payee_name", "contract_id", "payment_date",
                 "amount", "currency"],
}
_MERGED = {"agencies", "suppliers"}  # one row per key; later sightings fill empty columns

AGENCY_ROLES = ("payer", "buyer", "procuringEntity")  # in order of preference for a transaction's payer
SUPPLIER_ROLES = ("payee", "supplier", "tenderer")     # and for its payee
# Per row: the codes the mapping could not translate, as (canonical column or None, quarantine reason). The loader
# quarantines a row that has any with these reasons (columns _problem and _problem_columns of the frames).
Problems = list[tuple[str | None, str]]
# Identifier schemes that are tax or company registers: org-id.guide codes (<country>-<register>) whose register
# part is a tax / company register, or a free-text scheme naming a tax register (e.g. Paraguay's
# "Registro Único de Contribuyente ..."). Schemes that are not (e.g. XM-EORI, publisher-internal ones) and
# identifiers without a scheme give no tax_id: we never guess from the shape of the id.
_TAX_SCHEME = re.compile(
    r"^[A-Z]{2}-(RFC|RUC|RUT|CUIT|NIT|CNPJ|CPF|EIN|TIN|VAT|EDR|COH|CRN|CRO|ABN|NZBN|BN|SIREN|SIRET|NIF|CIF|KVK|CVR|ORGNR)$"
    r"|contribuyente|\btax\b|tributari|fiscal",
    re.IGNORECASE,
)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[Tt ][0-9:.]*)?(?:Z|z|[+-]\d{2}:?\d{2})?$")


# ------------------------------------------------------------------ values

def _list(x: Any) -> list:
    return x if isinstance(x, list) else [] if x is None else [x]


def _dict(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _num(x: Any) -> str | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Decimal):
        s = str(x)
        return format(x, "f") if "E" in s else s  # 1E+5 -> 100000: the loader parses plain decimals
    if isinstance(x, float):  # not produced by our parsers; kept exact as Python prints it
        return repr(x)
    return _text(x)


def _text(x: Any) -> str | None:
    if isinstance(x, str):
        return x if x.strip() else None
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, Decimal, float)):
        return _num(x)
    return None


def _has_content(x: Any) -> bool:
    """True when a JSON value holds anything but empty objects, empty arrays, nulls and blank text."""
    if isinstance(x, dict):
        return any(_has_content(v) for v in x.values())
    if isinstance(x, list):
        return any(_has_content(v) for v in x)
    if isinstance(x, str):
        return bool(x.strip())
    return x is not None


def _date(x: Any) -> str | None:
    s = _text(x)
    if s is None:
        return None
    m = _DATE.match(s.strip())
    return m.group(1) if m else s


def _amount(value: Any) -> str | None:
    return _num(_dict(value).get("amount"))


def _currency(value: Any) -> str | None:
    return _text(_dict(value).get("currency"))


def _lang(obj: Any, field: str, language: str | None = None) -> str | None:
    """obj[field], else obj[field_<release language>], else the first non-empty obj[field_<other>] (name_fr, ...)."""
    obj = _dict(obj)
    value = _text(obj.get(field)) or _text(obj.get(f"{field}_{language}"))
    if value:
        return value
    for k, v in obj.items():
        if k.startswith(field + "_") and _text(v):
            return _text(v)
    return None


def _name(org: dict, language: str | None = None) -> str | None:
    return (_lang(org, "name", language) or _lang(org.get("identifier"), "legalName", language)
            or _lang(org, "legalName", language))


def _coded(codes: Codes, name: str, received: Any, column: str, problems: Problems) -> str | None:
    """The canonical value of a code; when it cannot be mapped, the problem is noted and the received text is
    returned (so the quarantined row holds the value as published)."""
    value, problem = codes.map(name, received if isinstance(received, str) else _text(received))
    if problem:
        problems.append((column, problem))
        return _text(received)
    return value


def _unkeyed(refs: Any, key: str | None, what: str, column: str, problems: Problems) -> None:
    """An organisation reference that is present but cannot be keyed (no id, identifier or name) is said to be so,
    not reported as an empty value."""
    if key is None and any(isinstance(x, dict) and _has_content(x) for x in _list(refs)):
        problems.append((column, f"{what}: given, but without an id, identifier or name, so it cannot be keyed"))


def _method(codes: Codes, tender: dict, column: str, problems: Problems, required: bool = True) -> str | None:
    """procurementMethod; when absent, procurementMethodDetails as the publisher's codes: translate it. Unknown
    details text is a problem only where the column is required (otherwise the column stays empty, as absent)."""
    if _text(tender.get("procurementMethod")) is not None or _text(tender.get("procurementMethodDetails")) is None:
        return _coded(codes, "tender.procurementMethod", tender.get("procurementMethod"), column, problems)
    details = tender.get("procurementMethodDetails")
    if required:
        return _coded(codes, "tender.procurementMethodDetails", details, column, problems)
    return codes.map("tender.procurementMethodDetails", _text(details))[0]


def _submission(codes: Codes, submission: Any, problems: Problems) -> str | None:
    """is_electronic_submission from the submissionMethod list: true when any code is electronic, false when all are
    known and none is; empty when the list is absent."""
    if submission is None:
        return None
    found, unknown = [], []
    for x in _list(submission):
        value, problem = codes.map("tender.submissionMethod", x if isinstance(x, str) else _text(x))
        if problem:
            unknown.append(problem)
        elif value is not None:
            found.append(value)
    if "true" in found:
        return "true"
    if unknown:
        problems.extend(("is_electronic_submission", p) for p in unknown)
        return ",".join(_text(x) or "" for x in _list(submission))
    return "false" if found else None


def _unspsc(items: Any) -> str | None:
    for item in _list(items):
        c = _dict(_dict(item).get("classification"))
        if (_text(c.get("scheme")) or "").upper() == "UNSPSC" and _text(c.get("id")):
            return _text(c.get("id"))
    return None


# ------------------------------------------------------------------ mapper

class Mapper:
    """Accumulates canonical rows from compiled releases (of one file, or of several read together)."""

    def __init__(self, state_code: str, agency_type: str, codes: Codes = STANDARD,
                 problems: dict[int, list[str]] | None = None) -> None:
        self.state_code = state_code
        self.agency_type = agency_type
        self.codes = codes
        # what was skipped, by the file a process is attributed to (its newest)
        self.problems: dict[int, list[str]] = {} if problems is None else problems
        self._files: list[int] = [0]                # files the release being mapped drew on, in release order
        self._rows: dict[str, list[dict]] = {e: [] for e in ENTITY_COLUMNS}
        self._index: dict[str, dict[str, dict]] = {e: {} for e in ENTITY_COLUMNS}

    # ---- output
    def _emit(self, entity: str, row: dict, location: str, problems: Problems | None = None) -> None:
        key = row[ENTITY_COLUMNS[entity][0]]
        seen = self._index[entity].get(key)
        if seen is None:
            row["_location"] = location
            row["_problem"] = "; ".join(p for _, p in problems) if problems else None
            columns = ",".join(dict.fromkeys(c for c, _ in problems or [] if c))
            row["_problem_columns"] = columns or None
            row["_files"] = list(self._files)
            self._index[entity][key] = row
            self._rows[entity].append(row)
        elif entity in _MERGED:
            for col, value in row.items():
                if seen.get(col) is None and value is not None:
                    seen[col] = value
            seen["_files"] += [f for f in self._files if f not in seen["_files"]]
        else:
            self._report(
                f"{location}: duplicate {ENTITY_COLUMNS[entity][0]} {key!r} (first at {seen['_location']}); row skipped")

    def _identified(self, items: Any, location: str, what: str):
        """(location, object, id) of each object in an OCDS array that has an id; the others are reported in
        problems and skipped (they cannot be keyed)."""
        for i, obj in enumerate(_list(items)):
            loc = f"{location}[{i}]"
            obj = _dict(obj)
            oid = _text(obj.get("id"))
            if not oid:
                self._report(f"{loc}: no id; {what} skipped")
                continue
            yield loc, obj, oid

    def _report(self, text: str) -> None:
        self.problems.setdefault(self._files[-1], []).append(text)

    def frames(self) -> dict[str, pl.DataFrame]:
        out = {}
        for entity, cols in ENTITY_COLUMNS.items():
            rows = self._rows[entity]
            data: dict[str, list] = {c: [r.get(c) for r in rows] for c in cols}
            data["_row_number"] = list(range(1, len(rows) + 1))
            data["_location"] = [r["_location"] for r in rows]
            data["_problem"] = [r.get("_problem") for r in rows]
            data["_problem_columns"] = [r.get("_problem_columns") for r in rows]
            data["_files"] = [r["_files"] for r in rows]
            schema = {c: pl.Utf8 for c in cols} | {"_row_number": pl.Int64, "_location": pl.Utf8, "_problem": pl.Utf8,
                                                   "_problem_columns": pl.Utf8, "_files": pl.List(pl.Int64)}
            out[entity] = pl.DataFrame(data, schema=schema)
        return out

    # ---- one release
    def add(self, ocid: str, rel: dict, where: str, history: list[dict], files: list[int] | None = None) -> None:
        """Map one compiled release; `where` names file and JSON location, `files` the files it drew on."""
        self._files = files or [0]
        base = f"{where} (ocid {ocid})"
        r = _Release(self, ocid, rel, base)

        # What the earlier releases said (history is in date order): first sightings.
        award_dates: dict[str, Any] = {}
        contract_first: dict[str, dict] = {}
        tender_date = planning_date = None
        for h in history:
            if tender_date is None and _dict(h.get("tender")):
                tender_date = h.get("date")
            if planning_date is None and _dict(h.get("planning")):
                planning_date = h.get("date")
            for a in _list(h.get("awards")):
                if _text(_dict(a).get("id")):
                    award_dates.setdefault(_text(a["id"]), h.get("date"))
            for c in _list(h.get("contracts")):
                if _text(_dict(c).get("id")):
                    contract_first.setdefault(_text(c["id"]), c)

        for i, p in enumerate(_list(rel.get("parties"))):
            roles = {x for x in _list(_dict(p).get("roles")) if isinstance(x, str)}
            if roles.intersection(AGENCY_ROLES):
                r.agency(p, f"{base} parties[{i}]")
            if roles.intersection(SUPPLIER_ROLES):
                r.supplier(p, f"{base} parties[{i}]")
        buyer = r.agency(rel.get("buyer"), f"{base} buyer")
        tender = _dict(rel.get("tender"))
        procuring = r.agency(tender.get("procuringEntity"), f"{base} tender.procuringEntity")
        awards_list = [a for a in _list(rel.get("awards")) if isinstance(a, dict)]
        codes = self.codes
        # An award without status was published as made (active); see codes.py for every code list.
        award_status = [codes.map("awards.status", _text(a.get("status")))[0] if _text(a.get("status")) is not None
                        else "active" for a in awards_list]
        tender_code = codes.code("tender.status", tender.get("status"))

        planning = _dict(rel.get("planning"))
        if planning:
            budget = _dict(planning.get("budget"))
            contracted = any(codes.code("contracts.status", _dict(c).get("status")) != "cancelled"
                             for c in _list(rel.get("contracts"))) or "active" in award_status
            planning_problems: Problems = []
            _unkeyed([rel.get("buyer"), tender.get("procuringEntity")], buyer or procuring,
                     "buyer / tender.procuringEntity", "agency_id", planning_problems)
            self._emit("requisitions", {
                "requisition_id": f"{ocid}/planning",
                "state_code": self.state_code,
                "agency_id": buyer or procuring,
                "commodity_code": _unspsc(tender.get("items")),
                "created_date": _date(planning_date or rel.get("date")),
                "estimated_amount": _amount(budget.get("amount")),
                "currency": _currency(budget.get("amount")),
                "status": "ordered" if contracted else "cancelled" if tender_code in ("cancelled", "withdrawn")
                else "approved" if tender else "draft",
            }, f"{base} planning", planning_problems)

        solicitation_id = None
        if tender:
            solicitation_id = f"{ocid}/{_text(tender.get('id')) or 'tender'}"
            period = _dict(tender.get("tenderPeriod"))
            tender_problems: Problems = []
            status_out = _coded(codes, "tender.status", tender.get("status"), "status", tender_problems)
            if tender_code == "complete":  # completed = awarded, unless every award in the release fell through
                failed = all(s == "cancelled" for s in award_status)
                status_out = "closed" if awards_list and failed else "awarded"
            self._emit("solicitations", {
                "solicitation_id": solicitation_id,
                "state_code": self.state_code,
                "agency_id": procuring or buyer,
                "title": _lang(tender, "title", r.lang),
                "method": _method(codes, tender, "method", tender_problems),
                "commodity_code": _unspsc(tender.get("items")),
                "issue_date": _date(period.get("startDate") or tender.get("datePublished") or tender.get("date")
                                    or tender_date or rel.get("date")),
                "close_date": _date(period.get("endDate")),
                "estimated_value": _amount(tender.get("value")),
                "currency": _currency(tender.get("value")),
                "is_emergency": None,
                "is_electronic_submission": _submission(codes, tender.get("submissionMethod"), tender_problems),
                "status": status_out,
            }, f"{base} tender", tender_problems)

        for loc, b, bid in self._identified(_dict(rel.get("bids")).get("details"), f"{base} bids.details", "bid"):
            bidders = [r.supplier(t, f"{loc}.tenderers[{j}]") for j, t in enumerate(_list(b.get("tenderers")))]
            bid_problems: Problems = []
            bidder = next((x for x in bidders if x), None)
            _unkeyed(b.get("tenderers"), bidder, "bids.details.tenderers", "supplier_id", bid_problems)
            self._emit("bids", {
                "bid_id": f"{ocid}/{bid}",
                "solicitation_id": solicitation_id,
                "supplier_id": bidder,
                "submitted_date": _date(b.get("date")),
                "bid_amount": _amount(b.get("value")),
                "currency": _currency(b.get("value")),
                "is_responsive": _coded(codes, "bids.details.status", b.get("status"), "is_responsive", bid_problems),
            }, loc, bid_problems)

        awards: dict[str, tuple[str, str | None, dict]] = {}
        for loc, a, aid in self._identified(rel.get("awards"), f"{base} awards", "award"):
            suppliers = [r.supplier(s, f"{loc}.suppliers[{j}]") for j, s in enumerate(_list(a.get("suppliers")))]
            supplier = next((s for s in suppliers if s), None)
            awards[aid] = (f"{ocid}/{aid}", supplier, a)
            award_problems: Problems = []
            _unkeyed(a.get("suppliers"), supplier, "awards.suppliers", "supplier_id", award_problems)
            self._emit("awards", {
                "award_id": f"{ocid}/{aid}",
                "solicitation_id": solicitation_id,
                "supplier_id": supplier,
                "award_date": _date(a.get("date")),
                "published_date": _date(award_dates.get(aid) or rel.get("date")),
                "award_value": _amount(a.get("value")),
                "currency": _currency(a.get("value")),
                "status": "active" if _text(a.get("status")) is None
                else _coded(codes, "awards.status", a.get("status"), "status", award_problems),
            }, loc, award_problems)

        for loc, c, cid in self._identified(rel.get("contracts"), f"{base} contracts", "contract"):
            contract_id = f"{ocid}/{cid}"
            award_ref = _text(c.get("awardID"))
            linked = awards.get(award_ref) if award_ref else None
            own = [r.supplier(s, f"{loc}.suppliers[{j}]") for j, s in enumerate(_list(c.get("suppliers")))]
            supplier = (linked[1] if linked else None) or next((s for s in own if s), None)
            first = contract_first.get(cid, c)
            contract_problems: Problems = []
            _coded(codes, "contracts.status", c.get("status"), "", contract_problems)  # no column: only checked
            _unkeyed(_list(c.get("suppliers")) + _list(linked[2].get("suppliers") if linked else None), supplier,
                     "contracts.suppliers / the awards' suppliers", "supplier_id", contract_problems)
            self._emit("contracts", {
                "contract_id": contract_id,
                "contract_number": cid,
                "state_code": self.state_code,
                "agency_id": buyer or procuring,
                "supplier_id": supplier,
                "title": _lang(c, "title", r.lang) or (linked and _lang(linked[2], "title", r.lang)) or _lang(tender, "title", r.lang),
                "vehicle": "agency",
                "award_id": f"{ocid}/{award_ref}" if award_ref else None,
                "commodity_code": _unspsc(c.get("items")) or _unspsc(tender.get("items")),
                "procurement_method": _method(codes, tender, "procurement_method", contract_problems, required=False),
                "signed_date": _date(c.get("dateSigned")),
                "start_date": _date(_dict(c.get("period")).get("startDate")),
                "end_date": _date(_dict(first.get("period")).get("endDate") or _dict(c.get("period")).get("endDate")),
                "original_value": _amount(first.get("value")) or _amount(c.get("value")),
                "current_value": _amount(c.get("value")),
                "currency": _currency(c.get("value")),
            }, loc, contract_problems)

            amendments = [(f"amendments[{k}]", x) for k, x in enumerate(_list(c.get("amendments")))]
            amendments += [("amendment", x) for x in _list(c.get("amendment"))]
            # {} (Canada), {"changes": []} (OCDS 1.0) and objects of empty values say nothing: no amendment row.
            amendments = [(path, am) for path, am in amendments if isinstance(am, dict) and _has_content(am)]
            for n, (path, am) in enumerate(amendments, start=1):
                self._emit("contract_amendments", {
                    "amendment_id": f"{contract_id}/{_text(am.get('id')) or n}",
                    "contract_id": contract_id,
                    "amendment_number": str(n),
                    "amendment_date": _date(am.get("date")),
                    "value_change": None,
                    "reason": _lang(am, "rationale", r.lang) or _lang(am, "description", r.lang),
                    "currency": None,
                }, f"{loc}.{path}")

            transactions = _dict(c.get("implementation")).get("transactions")
            for tloc, tx, tid in self._identified(transactions, f"{loc}.implementation.transactions", "transaction"):
                payer_ref = tx.get("payer") or r.by_identifier(tx.get("providerOrganization"), AGENCY_ROLES)
                payee_ref = tx.get("payee") or r.by_identifier(tx.get("receiverOrganization"), SUPPLIER_ROLES)
                payee = r.supplier(payee_ref, f"{tloc}.payee")
                value = tx.get("value") if isinstance(tx.get("value"), dict) else tx.get("amount")
                self._emit("payments", {
                    "payment_id": f"{contract_id}/{tid}",
                    "state_code": self.state_code,
                    "agency_id": r.agency(payer_ref, f"{tloc}.payer") or buyer or procuring,
                    "supplier_id": payee or supplier,
                    "payee_name": _name(r.resolve(payee_ref) or {}, r.lang),
                    "contract_id": contract_id,
                    "payment_date": _date(tx.get("date")),
                    "amount": _amount(value),
                    "currency": _currency(value),
                }, tloc)


class _Release:
    """Organisation resolution within one release (parties index, keys, agency / supplier rows)."""

    def __init__(self, mapper: Mapper, ocid: str, rel: dict, base: str) -> None:
        self.m, self.ocid, self.base = mapper, ocid, base
        self.lang = _text(rel.get("language"))
        self.parties = [p for p in _list(rel.get("parties")) if isinstance(p, dict)]
        self.by_id = {_text(p.get("id")): p for p in self.parties if _text(p.get("id"))}

    def resolve(self, ref: Any) -> dict | None:
        """An organisation reference merged with its party (party values win, the reference fills gaps)."""
        if not isinstance(ref, dict) or not ref:
            return None
        party = self.by_id.get(_text(ref.get("id")))
        return {**ref, **{k: v for k, v in party.items() if v not in (None, "")}} if party else ref

    def by_identifier(self, ident: Any, roles: tuple[str, ...]) -> dict | None:
        """OCDS 1.0 transaction organisations are Identifier objects: find the party with that identifier
        (preferring roles in the order given), else an organisation made of the identifier itself."""
        if not isinstance(ident, dict) or not ident:
            return None
        want = (_text(ident.get("scheme")), _text(ident.get("id")))
        if want[1]:
            matches = [p for p in self.parties
                       if (_text(_dict(p.get("identifier")).get("scheme")), _text(_dict(p.get("identifier")).get("id"))) == want]
            matches.sort(key=lambda p: min((roles.index(x) for x in _list(p.get("roles")) if x in roles),
                                           default=len(roles)))
            if matches:
                return matches[0]
        return {"identifier": ident, "name": _lang(ident, "legalName", self.lang)}

    def key(self, org: dict) -> str | None:
        ident = _dict(org.get("identifier"))
        scheme, iid = _text(ident.get("scheme")), _text(ident.get("id"))
        if scheme and iid:
            return f"{scheme}-{iid}"
        local = _text(org.get("id")) or iid or _name(org, self.lang)
        return f"{self.ocid}/{local}" if local else None

    def _org(self, ref: Any, location: str, kind: str) -> tuple[str, dict] | None:
        org = self.resolve(ref)
        if org is None:
            return None
        key = self.key(org)
        if key is None:
            self.m._report(f"{location}: no id, identifier or name; {kind} skipped")
            return None
        return key, org

    def agency(self, ref: Any, location: str) -> str | None:
        found = self._org(ref, location, "organisation")
        if found is None:
            return None
        key, org = found
        self.m._emit("agencies", {"agency_id": key, "state_code": self.m.state_code, "agency_name": _name(org, self.lang),
                                  "agency_type": self.m.agency_type}, location)
        return key

    def supplier(self, ref: Any, location: str) -> str | None:
        found = self._org(ref, location, "organisation")
        if found is None:
            return None
        key, org = found
        ident, address = _dict(org.get("identifier")), _dict(org.get("address"))
        scheme = _text(ident.get("scheme"))
        self.m._emit("suppliers", {
            "supplier_id": key,
            "supplier_name": _name(org, self.lang),
            "tax_id": _text(ident.get("id")) if scheme and _TAX_SCHEME.search(scheme) else None,
            "city": _text(address.get("locality")),
            "supplier_state": _text(address.get("region")),
            "postal_code": _text(address.get("postalCode")),
        }, location)
        return key
