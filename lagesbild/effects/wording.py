"""Swedish wording of the effect evaluation, shared by the measure reports and the tertial
review's summary (light: no estimator imports)."""

from __future__ import annotations

import math

from lagesbild.effects.verdict import Verdict
from lagesbild.review.formatting import number

KIND_SV = {
    "action_plan": "handlingsplan",
    "fixed_camera": "fast kamerabevakning",
    "body_worn_camera": "kroppsburna kameror",
    "area_police": "fler områdespoliser",
    "presence": "ökad närvaro",
    "other": "annan åtgärd",
}
ZONE_SV = {"area": "Området", "surroundings": "Omgivningen (resten av lokalpolisområdet)"}
METHOD_SV = {"did": "Skillnad-i-skillnader", "synthetic_control": "Syntetisk kontroll"}
VERDICT_SV = {
    Verdict.DECREASE: "Minskning",
    Verdict.INCREASE: "Ökning",
    Verdict.NO_DETECTABLE_CHANGE: "Ingen påvisbar förändring",
    Verdict.INSUFFICIENT_DATA: "För litet underlag",
    Verdict.NOT_COMPARABLE: "Inte jämförbart",
}
GENERAL_LIMITS = [
    "Utvärderingen jämför med områden och lokalpolisområden utan en åtgärd av samma slag. Den "
    "kan inte se andra förändringar som bara skedde i just detta område samtidigt som åtgärden "
    "(till exempel en nedlagd skola, en riven fastighet eller ett avslutat gängkrig).",
    "En ökning av anmälda brott kan betyda fler brott eller att fler brott upptäcks och anmäls. "
    "Fler poliser på plats hittar fler narkotikabrott och vapen; en kamera kan öka "
    "anmälningsbenägenheten. Utfallet mäter anmälda brott, inte utsatthet.",
    "Ingen påvisbar förändring betyder inte att åtgärden saknar effekt: en effekt mindre än den "
    "minsta påvisbara effekten (MDE) går för det mesta inte att skilja från slumpen.",
    "Om flera indikatorer eller zoner prövas väntas ungefär var tjugonde visa en förändring av "
    "en slump även när ingenting har hänt.",
    "Förflyttning till platser utanför lokalpolisområdet, eller till andra tider, syns inte.",
]
KIND_LIMITS = {
    "area_police": "Fler områdespoliser ökar ofta de brott polisen själv upptäcker (narkotika, "
    "vapen, trafik) – en ökning där är inte nödvändigtvis en försämring.",
    "presence": "Ökad närvaro ökar ofta de brott polisen själv upptäcker (narkotika, vapen) – en "
    "ökning där är inte nödvändigtvis en försämring.",
    "fixed_camera": "Kameror kan flytta brott till platser utanför bild; jämför med omgivningen.",
    "body_worn_camera": "Kroppsburna kameror påverkar framför allt våld och hot mot tjänsteman; "
    "andra indikatorer väntas sällan ändras.",
}


def ratio_text(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else number(value, 2)


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "obegränsat"
    return f"{number(low, 2)}–{number(high, 2)}"


def p_text(value: float | None) -> str:
    return "–" if value is None else number(value, 3)
