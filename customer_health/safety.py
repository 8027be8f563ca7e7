"""Validation of values that reach SQL from outside (CLI options, vars, settings).

The dbt side has its own checks (macros/health_window.sql for the window dates,
macros/var_validation.sql for schema names and numbers); these helpers give the Python
side the same rules, so a value refused by dbt is refused here too, with the same words.
"""

from __future__ import annotations

import datetime as dt
import re

from customer_health import config

SAFE_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SOURCE_SCHEMA_VARS = ("crm_schema", "billing_schema", "product_schema", "support_schema", "survey_schema")


class UnsafeValueError(ValueError):
    """A value that must not reach SQL."""


def safe_identifier(value: object, what: str = "identifier") -> str:
    """`value` if it is a plain SQL identifier (letter or underscore, then letters, digits
    or underscores, at most 63 characters); UnsafeValueError otherwise."""
    if not isinstance(value, str) or not SAFE_IDENTIFIER.match(value):
        raise UnsafeValueError(
            f"{what} must be a plain name (a letter or underscore, then letters, digits or "
            f"underscores; at most 63 characters), got: {value!r}"
        )
    return value


def parse_iso_date(value: object, what: str = "date") -> dt.date:
    """A calendar date from an ISO `YYYY-MM-DD` string (or a date); UnsafeValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not ISO_DATE.match(text):
        raise UnsafeValueError(f"{what} must be an ISO date (YYYY-MM-DD), got: {value!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise UnsafeValueError(f"{what} is not a calendar date: {value!r}") from error


def parse_window(start: object, end: object) -> tuple[dt.date, dt.date]:
    """The inclusive window (start, end), both ISO dates, start not after end."""
    start_day = parse_iso_date(start, "health_start_date")
    end_day = parse_iso_date(end, "health_end_date")
    if start_day > end_day:
        raise UnsafeValueError(f"health_start_date ({start_day}) is after health_end_date ({end_day})")
    return start_day, end_day


def yesterday_utc() -> dt.date:
    """Yesterday by the project's clock (HEALTH_NOW, else the real clock)."""
    return config.yesterday()


def quote_identifier(name: str) -> str:
    """A double-quoted identifier, after checking that it is a plain name."""
    return '"' + safe_identifier(name) + '"'


__all__ = [
    "SAFE_IDENTIFIER",
    "SOURCE_SCHEMA_VARS",
    "UnsafeValueError",
    "parse_iso_date",
    "parse_window",
    "quote_identifier",
    "safe_identifier",
    "yesterday_utc",
]
