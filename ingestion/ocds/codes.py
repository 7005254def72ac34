"""The OCDS code lists the importer reads, and what each code becomes in the canonical model.

Every code list the mapping reads is closed here: a code is either translated to a canonical value, or it is known
to have no canonical counterpart (the row is quarantined saying why), or it is unknown (the row is quarantined
naming the value received, the codes known, and where to add it). A present value is never reported as empty.

Publishers that write non-standard codes (``Licitación Pública``, ``Vigente``, ProZorro's bid status ``active``)
translate them to the standard OCDS code in their mapping file::

    ocds:
      state_code: PY
      codes:
        tender.procurementMethod: {"Licitación Pública Nacional": open, "Contratación Directa": direct}
        bids.details.status: {active: valid}

An override's target must be a code of that list (checked when the mapping is read, with file and line); a
publisher code equal to a standard one is overridden (the publisher's meaning wins). Matching is exact after
trimming surrounding spaces (OCDS codes are case-sensitive).

| code list | OCDS codes -> canonical value | no canonical counterpart |
|---|---|---|
| tender.status -> solicitations.status | active -> open; complete -> awarded (closed when every award of the release is cancelled / unsuccessful); unsuccessful -> closed; cancelled, withdrawn -> cancelled | planning, planned: the tender is not yet a solicitation (its planning block loads as a requisition) |
| tender.procurementMethod -> solicitations.method, contracts.procurement_method | open, selective, limited, direct (the canonical values are OCDS's) | - |
| tender.procurementMethodDetails (free text), read when procurementMethod is absent | only what the publisher's codes: translate to a procurementMethod code (e.g. UK Contracts Finder's "Open procedure": open); unknown text quarantines the solicitation naming it (a contract's optional procurement_method just stays empty) | - |
| tender.submissionMethod -> solicitations.is_electronic_submission | electronicSubmission, electronicAuction -> true; written, inPerson -> false (a list: true when any code is electronic) | - |
| awards.status -> awards.status | active -> active; cancelled, unsuccessful -> cancelled; absent -> active (published without a status = made) | pending: proposed, not yet in force (awards holds decisions) |
| bids.details.status -> bids.is_responsive | valid, qualified -> true; disqualified, not-qualified -> false | invited: not a bid (nothing was submitted); pending: not yet evaluated; withdrawn: withdrawn by the bidder, never evaluated |
| contracts.status -> (contracts have no status column) | pending, active, terminated: loaded | cancelled: cancelled before it took effect; loading it would count a contract that never existed |

What the real publishers of tests/fixtures/ocds (and their full samples) use: tender.status complete, active,
unsuccessful, cancelled and planned (Mexico CDMX); awards.status active, unsuccessful, pending (Mexico) or none
(Montreal); contracts.status active, pending; procurementMethod open, selective, limited or none (UK, Canada,
Paraguay); submissionMethod written, electronicAuction (Paraguay, Ukraine); bid status 'active' (ProZorro, Ukraine:
not an OCDS code; `bids.details.status: {active: valid}` in its mapping).

The other OCDS 1.1 code lists feed no canonical column, so the importer does not read (or check) them: partyRole
(an open list; only buyer, procuringEntity, payer, supplier, tenderer and payee make agencies and suppliers, other
roles are ignored), procurementCategory / extendedProcurementCategory (canonical commodities are UNSPSC codes; the
item classification scheme is read only to pick UNSPSC), currency (kept as published, never converted), releaseTag,
initiationType, awardCriteria, documentType, milestoneType / milestoneStatus, relatedProcessScheme, relatedProcess,
unitClassificationScheme.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Canonical value None: the code is known but has no canonical counterpart; the text says why.
_NONE = None


@dataclass(frozen=True)
class CodeList:
    name: str                              # as written under codes: and in reasons, e.g. "tender.status"
    target: str                            # what it feeds, for messages
    codes: dict[str, str | None]           # OCDS code -> canonical value (None: no counterpart)
    why_not: dict[str, str] = field(default_factory=dict)  # code without counterpart -> why
    via: str | None = None                 # a free-text field: no codes of its own; overrides name codes of `via`

    @property
    def targets(self) -> list[str]:
        """The codes an override may translate to."""
        return list(CODE_LISTS[self.via].codes if self.via else self.codes)


CODE_LISTS: dict[str, CodeList] = {c.name: c for c in (
    CodeList("tender.status", "solicitations.status",
             {"active": "open", "complete": "awarded", "unsuccessful": "closed", "cancelled": "cancelled",
              "withdrawn": "cancelled", "planning": _NONE, "planned": _NONE},
             {"planning": "the tender is still being planned, not yet a solicitation (its planning block loads as a "
                          "requisition)",
              "planned": "the tender is planned, not yet a solicitation (its planning block loads as a requisition)"}),
    CodeList("tender.procurementMethod", "solicitations.method / contracts.procurement_method",
             {"open": "open", "selective": "selective", "limited": "limited", "direct": "direct"}),
    CodeList("tender.procurementMethodDetails", "solicitations.method / contracts.procurement_method when "
             "procurementMethod is absent", {}, via="tender.procurementMethod"),
    CodeList("tender.submissionMethod", "solicitations.is_electronic_submission",
             {"electronicSubmission": "true", "electronicAuction": "true", "written": "false", "inPerson": "false"}),
    CodeList("awards.status", "awards.status",
             {"active": "active", "cancelled": "cancelled", "unsuccessful": "cancelled", "pending": _NONE},
             {"pending": "the award is proposed, not yet in force (awards holds decisions only)"}),
    CodeList("bids.details.status", "bids.is_responsive",
             {"valid": "true", "qualified": "true", "disqualified": "false", "not-qualified": "false",
              "invited": _NONE, "pending": _NONE, "withdrawn": _NONE},
             {"invited": "an invited supplier has not submitted a bid",
              "pending": "the bid is not evaluated yet, so whether it is responsive is unknown",
              "withdrawn": "the bidder withdrew it before evaluation, so whether it was responsive is unknown"}),
    CodeList("contracts.status", "contracts (no status column)",
             {"pending": "pending", "active": "active", "terminated": "terminated", "cancelled": _NONE},
             {"cancelled": "the contract was cancelled before it took effect; canonical contracts have no status, so "
                           "loading it would count a contract that never existed"}),
)}


class Codes:
    """The standard code lists plus one publisher's overrides (publisher code -> OCDS code, per list)."""

    def __init__(self, overrides: dict[str, dict[str, str]] | None = None, mapping_name: str = "publisher.yml") -> None:
        self.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        self.mapping_name = mapping_name
        unknown = set(self.overrides) - set(CODE_LISTS)
        if unknown:
            raise ValueError(f"unknown code list(s): {', '.join(sorted(unknown))}")

    def known(self, name: str) -> list[str]:
        return list(CODE_LISTS[name].codes) + [c for c in self.overrides.get(name, {}) if c not in CODE_LISTS[name].codes]

    def map(self, name: str, received: object) -> tuple[str | None, str | None]:
        """(canonical value, problem) for one received value of a code list; (None, None) when nothing was received.

        problem is the quarantine reason when the value is present but cannot be mapped."""
        if received is None or (isinstance(received, str) and not received.strip()):
            return None, None
        cl = CODE_LISTS[name]
        text = received.strip() if isinstance(received, str) else str(received)
        shown = repr(text)
        override = self.overrides.get(name, {})
        if text in override:
            code = override[text]
            shown = f"{text!r} (= {code!r} under codes:)"
        elif text in cl.codes:
            code = text
        else:
            return None, (f"{name}: {text!r} is not a code this mapping knows (known: "
                          f"{', '.join(self.known(name)) or 'none yet'}; add it under codes: in {self.mapping_name})")
        if cl.via:
            cl = CODE_LISTS[cl.via]
        value = cl.codes[code]
        if value is None:
            return None, f"{name}: {shown} has no canonical counterpart in {cl.target}: {cl.why_not[code]}"
        return value, None

    def code(self, name: str, received: object) -> str | None:
        """The OCDS code a received value stands for (overrides applied); None when absent or unknown."""
        if received is None or not isinstance(received, str) or not received.strip():
            return None
        text = received.strip()
        code = self.overrides.get(name, {}).get(text, text)
        return code if code in CODE_LISTS[name].targets else None


STANDARD = Codes()
