"""Commodity codes (real UNSPSC codes from the shipped UNGM export) and the item catalogue built on them.

The selection is fixed (it does not depend on the seed): a curated list of families that state spend
actually falls into, a few commodities from each (evenly spaced through the family, or listed), with the
segment / family / class codes and titles read from the hierarchy by code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

UNSPSC_FILE = Path(__file__).resolve().parents[1] / "reference" / "unspsc_ungm.csv"


@dataclass(frozen=True)
class Family:
    code4: str            # first four digits
    k: int                # commodities to take
    uom: str              # unit of measure of its items
    price: tuple[float, float]  # unit price range, USD
    qty: tuple[int, int]  # quantity range per line
    addressable: bool = True
    po_exempt: bool = False
    statewide: bool = False        # states run statewide contracts in it
    coop: str | None = None        # cooperative programme running master agreements in it
    pcard: bool = False            # typical p-card buy
    weight: float = 1.0            # share of spend
    picks: tuple[str, ...] = ()    # explicit commodity codes


FAMILIES: tuple[Family, ...] = (
    # goods
    Family("4321", 5, "EA", (350, 2600), (1, 25), statewide=True, coop="NASPO ValuePoint", weight=3.0,
           picks=("43211503", "43211507", "43211501", "43211902", "43212105")),
    Family("4323", 3, "EA", (60, 4000), (1, 40), statewide=True, coop="NASPO ValuePoint", weight=2.0,
           picks=("43233004", "43231513", "43233205")),
    Family("4319", 3, "EA", (90, 1100), (1, 30), coop="NASPO ValuePoint", weight=1.2,
           picks=("43191501", "43191510", "43191508")),
    Family("4412", 5, "BX", (3, 60), (1, 60), statewide=True, coop="OMNIA Partners", pcard=True, weight=1.5,
           picks=("44121704", "44122011", "44121615", "44122104", "44121706")),
    Family("1411", 3, "CS", (25, 65), (1, 40), statewide=True, pcard=True, weight=0.8,
           picks=("14111507", "14111703", "14111704")),
    Family("2510", 3, "EA", (26000, 58000), (1, 4), statewide=True, coop="NASPO ValuePoint", weight=2.5,
           picks=("25101503", "25101507", "25101702")),
    Family("1510", 3, "GAL", (2.6, 4.9), (200, 6000), statewide=True, weight=2.0,
           picks=("15101505", "15101506", "15101801")),
    Family("4214", 2, "BX", (12, 220), (1, 40), coop="MMCAP", weight=1.0,
           picks=("42142609", "42142608")),
    Family("4218", 3, "EA", (20, 900), (1, 20), weight=0.8,
           picks=("42181602", "42182103", "42182201")),
    Family("5110", 2, "BX", (15, 480), (1, 50), coop="MMCAP", weight=1.5,
           picks=("51101905", "51101912")),
    Family("4618", 4, "EA", (6, 150), (1, 80), statewide=True, pcard=True, weight=0.8,
           picks=("46181504", "46181507", "46181604", "46181701")),
    Family("5610", 3, "EA", (150, 1500), (1, 30), coop="Sourcewell", weight=1.0,
           picks=("56101504", "56101703", "56101519")),
    Family("4713", 3, "CS", (12, 85), (1, 50), statewide=True, coop="OMNIA Partners", pcard=True, weight=0.8,
           picks=("47131502", "47131618", "47131805")),
    Family("4010", 3, "EA", (200, 8000), (1, 6), coop="Sourcewell", weight=0.8,
           picks=("40101701", "40101805", "40101806")),
    Family("2711", 1, "EA", (10, 220), (1, 25), coop="Sourcewell", pcard=True, weight=0.4,
           picks=("27111701",)),
    Family("2410", 3, "EA", (500, 18000), (1, 4), weight=0.5,
           picks=("24101501", "24101504", "24101603")),
    Family("4110", 2, "EA", (250, 15000), (1, 5), weight=0.6,
           picks=("41103903", "41103901")),
    Family("5310", 2, "EA", (15, 120), (1, 100), statewide=True, weight=0.4,
           picks=("53102703", "53102719")),
    # services
    Family("8111", 3, "HR", (95, 225), (10, 400), statewide=True, coop="NASPO ValuePoint", weight=3.0,
           picks=("81111504", "81111506", "81111507")),
    Family("8116", 2, "MO", (800, 20000), (1, 3), weight=1.0,
           picks=("81161501", "81161502")),
    Family("8011", 3, "HR", (28, 75), (20, 600), statewide=True, weight=2.0,
           picks=("80111601", "80111604", "80111609")),
    Family("8010", 3, "HR", (125, 310), (10, 300), weight=1.5,
           picks=("80101504", "80101510", "80101513")),
    Family("8110", 2, "HR", (105, 260), (10, 400), weight=1.5,
           picks=("81101505", "81101510")),
    Family("7215", 3, "EA", (1500, 48000), (1, 3), weight=2.0,
           picks=("72151201", "72151302", "72151905")),
    Family("7210", 3, "EA", (500, 20000), (1, 4), weight=1.2,
           picks=("72101507", "72101510", "72102104")),
    Family("7611", 2, "MO", (1200, 15000), (1, 3), statewide=True, weight=0.8,
           picks=("76111501", "76111504")),
    Family("9212", 2, "HR", (26, 62), (20, 500), weight=0.7,
           picks=("92121504", "92121701")),
    Family("7810", 2, "EA", (12, 480), (1, 50), statewide=True, pcard=True, weight=0.5,
           picks=("78101802", "78102203")),
    Family("7818", 1, "EA", (120, 3200), (1, 6), weight=0.6,
           picks=("78181501",)),
    Family("8610", 1, "EA", (220, 3000), (1, 20), weight=0.4,
           picks=("86101601",)),
    Family("9012", 1, "EA", (110, 1500), (1, 8), pcard=True, weight=0.4,
           picks=("90121502",)),
    # exempt from PO (utilities, rent)
    Family("8310", 3, "MO", (600, 52000), (1, 1), po_exempt=True, weight=1.5,
           picks=("83101501", "83101601", "83101801")),
    Family("8013", 1, "MO", (2500, 85000), (1, 1), po_exempt=True, weight=1.2, picks=("80131502",)),
    # not addressable: taxes, transfers, benefits, grants
    Family("9316", 3, "EA", (5000, 400000), (1, 1), addressable=False, weight=1.0,
           picks=("93161601", "93161605", "93161604")),
    Family("8413", 3, "EA", (10000, 900000), (1, 1), addressable=False, weight=1.0,
           picks=("84131601", "84131801", "84131607")),
    Family("8410", 2, "EA", (20000, 1500000), (1, 1), addressable=False, weight=1.0,
           picks=("84101501", "84101604")),
    Family("9313", 2, "EA", (5000, 300000), (1, 1), addressable=False, weight=0.6,
           picks=("93131602", "93131803")),
    Family("9413", 1, "EA", (5000, 250000), (1, 1), addressable=False, weight=0.4, picks=("94131601",)),
)

ITEM_VARIANTS = ("standard", "premium", "economy")


@dataclass(frozen=True)
class Commodity:
    code: str
    title: str
    segment_code: str
    segment_title: str | None
    family_code: str
    family_title: str | None
    class_code: str | None
    class_title: str | None
    family: Family


@lru_cache(maxsize=1)
def unspsc_titles(path: Path = UNSPSC_FILE) -> dict[str, str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {r["Code"].strip(): r["Title"].strip() for r in csv.DictReader(fh)}


def select_commodities() -> list[Commodity]:
    titles = unspsc_titles()
    out: list[Commodity] = []
    for fam in FAMILIES:
        if fam.picks:
            codes = list(fam.picks)
        else:
            members = sorted(c for c in titles if len(c) == 8 and c.isdigit() and c[:4] == fam.code4
                             and not c.endswith("00"))
            if not members:
                raise ValueError(f"UNSPSC family {fam.code4}0000 has no commodities in {UNSPSC_FILE}")
            step = len(members) / fam.k
            codes = [members[int(i * step)] for i in range(fam.k)]
        for c in codes:
            if c not in titles:
                raise ValueError(f"UNSPSC code {c} not found in {UNSPSC_FILE}")
            seg, famc, cls = c[:2] + "000000", c[:4] + "0000", c[:6] + "00"
            out.append(Commodity(
                code=c, title=titles[c], segment_code=seg, segment_title=titles.get(seg),
                family_code=famc, family_title=titles.get(famc),
                class_code=cls if cls in titles else None, class_title=titles.get(cls), family=fam,
            ))
    return out
