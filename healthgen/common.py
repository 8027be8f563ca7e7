"""Shared building blocks of the demo-data generator: configuration, seeded random
streams, id and name factories, calendar arithmetic on integer day numbers."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DAY_SECONDS = 86_400
NULL_INT = np.iinfo(np.int64).min  # sentinel of a null timestamp / date (numpy NaT)

EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class GenConfig:
    """What to generate. Days are integer day numbers since 1970-01-01."""

    accounts: int
    days: int
    seed: int
    bad_rows_rate: float
    end_date: dt.date
    events_per_user_day: float = 4.0

    @property
    def end_day(self) -> int:
        return (self.end_date - EPOCH).days

    @property
    def start_day(self) -> int:
        """First day of the history window."""
        return self.end_day - self.days + 1

    @property
    def load_cap_s(self) -> int:
        """Latest load time of a clean row: midnight after the end date."""
        return (self.end_day + 1) * DAY_SECONDS


# Independent random streams, so that a change in one part of the generator does not
# reshuffle the others.
STREAMS = {
    "accounts": 1,
    "hierarchy": 2,
    "contacts": 3,
    "lifecycle": 4,
    "invoices": 5,
    "opportunities": 6,
    "users": 7,
    "activity": 8,
    "events": 9,
    "goals": 10,
    "tickets": 11,
    "nps": 12,
    "bad": 13,
    "ids": 14,
    "signals": 15,
    "overrides": 16,
    "adoption": 17,
    "renewal_style": 18,
}


def rng_for(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[stream]])


ALNUM = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
SF_SUFFIX = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"))
HEX = np.array(list("0123456789abcdef"))


def rand_strings(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> np.ndarray:
    """`n` random strings of `length` characters of `alphabet` (numpy unicode array)."""
    if n == 0:
        return np.array([], dtype=f"<U{max(length, 1)}")
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return np.ascontiguousarray(chars).view(f"<U{length}").reshape(n)


class IdFactory:
    """Random-looking ids, unique across everything this factory made."""

    def __init__(self, seed: int) -> None:
        self._rng = rng_for(seed, "ids")
        self._taken: set[str] = set()

    def _unique(self, make: Callable[[int], np.ndarray], n: int) -> np.ndarray:
        out = np.empty(n, dtype=object)
        todo = np.arange(n)
        while len(todo):
            cand = make(len(todo)).tolist()
            fresh = set(cand)
            if len(fresh) == len(cand) and not (fresh & self._taken):
                self._taken |= fresh
                out[todo] = cand
                break
            keep = []  # rare: redraw the colliding ones
            for i, c in zip(todo, cand, strict=True):
                if c in self._taken:
                    keep.append(i)
                else:
                    self._taken.add(c)
                    out[i] = c
            todo = np.array(keep, dtype=np.int64)
        return out

    def salesforce(self, prefix: str, n: int) -> np.ndarray:
        """18-character Salesforce-style ids: 3-char key prefix, 12 + 3 characters."""

        def make(k: int) -> np.ndarray:
            body = rand_strings(self._rng, k, 12, ALNUM)
            tail = rand_strings(self._rng, k, 3, SF_SUFFIX)
            return np.char.add(np.char.add(prefix, body), tail)

        return self._unique(make, n)

    def stripe(self, prefix: str, n: int, length: int = 14) -> np.ndarray:
        """Stripe-style ids such as `cus_NffrFeUfNV2Hib`."""

        def make(k: int) -> np.ndarray:
            return np.char.add(prefix, rand_strings(self._rng, k, length, ALNUM))

        return self._unique(make, n)

    def hexid(self, prefix: str, n: int, length: int = 24) -> np.ndarray:
        def make(k: int) -> np.ndarray:
            return np.char.add(prefix, rand_strings(self._rng, k, length, HEX))

        return self._unique(make, n)

    def integers(self, n: int, low: int, high: int) -> np.ndarray:
        """Unique random integers in [low, high), in random order."""
        out: list[int] = []
        seen: set[int] = set()
        while len(out) < n:
            for v in self._rng.integers(low, high, size=n - len(out) + 8).tolist():
                if v not in seen and len(out) < n:
                    seen.add(v)
                    out.append(v)
        return np.array(out, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# Calendar arithmetic (vectorised) on integer day numbers.


def add_months_int(day: int, months: int) -> int:
    """Scalar `add_months`: day number `months` calendar months after `day`."""
    d = EPOCH + dt.timedelta(days=int(day))
    y, m = divmod(d.month - 1 + int(months), 12)
    y += d.year
    dom = min(d.day, calendar.monthrange(y, m + 1)[1])
    return (dt.date(y, m + 1, dom) - EPOCH).days


def add_months(days: np.ndarray | int, months: np.ndarray | int) -> np.ndarray:
    """Day number `months` calendar months after `days` (day of month clamped)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months, dtype=np.int64)
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, month_len - 1)
    return out


def add_years(days: np.ndarray | int, years: np.ndarray | int = 1) -> np.ndarray:
    return add_months(days, np.asarray(years, dtype=np.int64) * 12)


def months_between(start: np.ndarray | int, end: np.ndarray | int) -> np.ndarray:
    """Number of whole billing months from `start` that begin on or before `end`."""
    s = np.asarray(start, dtype=np.int64)
    e = np.asarray(end, dtype=np.int64)
    sm = s.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    em = e.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    k = em - sm + 1
    # step back while the k-th period start is after `end`
    k = np.where(add_months(s, k - 1) > e, k - 1, k)
    return np.maximum(k, 0)


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7


def to_ts(seconds: np.ndarray) -> np.ndarray:
    """int64 seconds since epoch (NULL_INT = null) -> datetime64[s]."""
    return np.asarray(seconds, dtype=np.int64).view("datetime64[s]")


def to_date(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).view("datetime64[D]")


def day_to_date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


# ---------------------------------------------------------------------------------------
# Name pools.

FIRST_NAMES = np.array(
    """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony
    Betty Mark Sandra Steven Ashley Paul Emily Andrew Kimberly Joshua Donna Kenneth Michelle
    Kevin Carol Brian Amanda George Melissa Timothy Deborah Ronald Stephanie Jason Rebecca
    Lukas Anna Felix Lea Jonas Marie Hugo Chloe Louis Camille Sven Ingrid Lars Astrid Yuki
    Haruto Sakura Ren Aiko Priya Arjun Ananya Rahul Wei Mei Chen Lucas Sofia Mateo Valentina
    Olivia Noah Liam Emma Ava Ethan Mia Zoe Isla Oscar Freya Jack Grace Diego Lucia Javier
    Carmen Pablo Elena Sanne Daan Femke Bram""".split()
)
LAST_NAMES = np.array(
    """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
    Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White
    Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
    Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts
    Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Dubois Moreau Laurent Lefebvre
    Bernard Andersson Johansson Karlsson Nilsson Tanaka Suzuki Takahashi Watanabe Sato Patel
    Sharma Singh Gupta Kumar Wang Li Zhang Liu Silva Santos Oliveira Souza Costa DeVries Jansen
    Bakker Visser Smit OBrien Murphy Kelly Walsh Byrne Fernandez Ruiz Diaz Moreno Alvarez""".split()
)
COMPANY_A = np.array(
    """Acme Globex Initech Umbrella Stark Wayne Wonka Cyberdyne Soylent Tyrell Hooli Vandelay
    Massive Aperture Black Mesa Oscorp Gringotts Dunder Monarch Nakatomi Virtucon Zorg Vehement
    Blue Red Green Silver Golden Iron Granite Summit Harbor Pioneer Northwind Southridge
    Eastgate Westfield Bright Clear Swift Nova Apex Vertex Quantum Fusion Polar Cedar Maple Oak
    Pine Willow River Lake Ocean Delta Sierra Atlas Orion Helix Lumen Zenith Nimbus Crest Beacon
    Falcon Eagle Lynx Otter Bison Kestrel Heron Sparrow Copper Cobalt Onyx Ember Aurora
    Meridian Horizon Keystone Riverside Lighthouse Evergreen Bluebird Sunrise Starlight""".split()
)
COMPANY_B = np.array(
    """Systems Labs Analytics Logistics Health Foods Motors Energy Media Capital Partners
    Retail Networks Software Dynamics Industries Robotics Pharma Foods Textiles Insurance Bank
    Telecom Airlines Hotels Studios Works Group Solutions Technologies Ventures Holdings
    Brands Mobility Learning Security Cloud Data Devices Materials Biotech Freight Marine
    Outdoor Apparel Games Payments Realty Clinics Farms""".split()
)
LEGAL_FORM = {
    "US": "Inc.", "GB": "Ltd", "DE": "GmbH", "FR": "SA", "NL": "B.V.", "JP": "K.K.",
    "AU": "Pty Ltd", "CA": "Inc.", "BR": "Ltda", "IN": "Pvt Ltd", "SG": "Pte Ltd",
    "ES": "S.L.", "SE": "AB",
}  # fmt: skip

INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Media & Entertainment",
    "Education",
    "Logistics",
    "Telecommunications",
    "Energy",
)
# Free text as typed into the CRM: occasional variants of the same vertical.
INDUSTRY_VARIANTS = {
    "Software": ("SaaS", "software", "Computer Software"),
    "Financial Services": ("Finance", "Banking", "FinServ"),
    "Healthcare": ("Health Care", "Hospital & Health Care"),
    "Retail": ("retail", "E-commerce"),
    "Manufacturing": ("Industrial", "manufacturing"),
    "Media & Entertainment": ("Media", "Entertainment"),
    "Education": ("Higher Education", "EdTech"),
    "Logistics": ("Transportation", "Logistics & Supply Chain"),
    "Telecommunications": ("Telecom",),
    "Energy": ("Utilities", "Oil & Energy"),
}

SUBSIDIARY_SUFFIX = ("Holdings", "International", "Europe", "Americas", "APAC", "North",
                     "South", "Digital", "Services", "Solutions")  # fmt: skip
BU_NAMES = ("Finance", "Operations", "Marketing", "Sales", "Engineering", "Supply Chain",
            "Customer Service", "HR", "IT", "Risk", "Product", "Research")  # fmt: skip
DEPT_NAMES = ("Planning", "Analytics", "Controlling", "Payroll", "Procurement", "Field Ops",
              "Growth", "Platform", "Security", "Data", "Compliance", "Training")  # fmt: skip


def choice(rng: np.random.Generator, options: tuple | list | np.ndarray, n: int,
           p: list[float] | np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """`n` draws from `options` (object array), optionally weighted."""
    opts = np.empty(len(options), dtype=object)
    opts[:] = list(options)
    if p is not None:
        w = np.asarray(p, dtype=float)
        return opts[rng.choice(len(opts), size=n, p=w / w.sum())]
    return opts[rng.integers(0, len(opts), size=n)]


def obj(values: list | np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
