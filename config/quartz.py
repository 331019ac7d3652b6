"""Quartz cron expressions and time zone ids as the Databricks Jobs API takes them.

A schedule's `quartz_cron_expression` is parsed by Quartz (org.quartz.CronExpression, Quartz 2.x,
whose rules the Jobs API documents by reference): 6 or 7 fields separated by spaces, seconds first,

    seconds 0-59 | minutes 0-59 | hours 0-23 | day-of-month 1-31 | month 1-12 or JAN-DEC |
    day-of-week 1-7 or SUN-SAT | year 1970-2099 (optional)

each a `*`, a value, a range `a-b`, an increment `a/n` or `*/n` (also `a-b/n`) or a list of those
separated by commas; `?` in exactly one of day-of-month and day-of-week ("support for specifying both a
day-of-week and a day-of-month value is not complete"), and the specials `L`, `L-n`, `nW`, `LW` in
day-of-month and `L`, `nL`, `n#k` in day-of-week, each alone in its field. Names are case-insensitive.
`timezone_id` is a Java time zone id; the ids of the IANA zone database (Python's `zoneinfo` with the
`tzdata` package, the same on every machine) are the ones Java knows by region, `Etc/GMT±N` included.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import cache

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    def value(self, text: str) -> int:
        """A number or name of this field; ValueError naming what is allowed."""
        upper = text.upper()
        if upper in self.names:
            return self.names.index(upper) + self.low
        if not text.isdigit() or not self.low <= int(text) <= self.high:
            allowed = f"{self.low}-{self.high}" + (f" or {self.names[0]}-{self.names[-1]}" if self.names else "")
            raise ValueError(f"{self.name} {text!r} is not {allowed}")
        return int(text)


FIELDS = (
    _Field("seconds", 0, 59),
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, MONTHS),
    _Field("day-of-week", 1, 7, DAYS),
    _Field("year", 1970, 2099),
)


def _item(field: _Field, item: str) -> None:
    """One comma-separated item of a field: `*`, a value, `a-b`, with an optional `/n` increment."""
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or not 1 <= int(step) <= field.high):
        raise ValueError(f"{field.name} increment {step!r} is not 1-{field.high}")
    if base == "*":
        return
    low, dash, high = base.partition("-")
    first = field.value(low)
    if dash:
        last = field.value(high)
        if last < first and field.name not in ("day-of-week", "month"):  # Quartz wraps those two only
            raise ValueError(f"{field.name} range {base!r} runs backwards")


_DAY_OF_MONTH_SPECIAL = re.compile(r"L(?:-([0-9]{1,2}))?|LW|([0-9]{1,2})W")
_DAY_OF_WEEK_SPECIAL = re.compile(r"L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(?:L|#([1-5]))", re.IGNORECASE)


def _field(field: _Field, text: str) -> None:
    if text == "?":
        if field.name not in ("day-of-month", "day-of-week"):
            raise ValueError(f"'?' is only for day-of-month or day-of-week, not {field.name}")
        return
    if field.name == "day-of-month" and (match := _DAY_OF_MONTH_SPECIAL.fullmatch(text.upper())):
        offset, day = match.group(1), match.group(2)
        if offset is not None and not 1 <= int(offset) <= 30:
            raise ValueError(f"day-of-month 'L-{offset}': the offset is 1-30")
        if day is not None:
            field.value(day)
        return
    if field.name == "day-of-week" and _DAY_OF_WEEK_SPECIAL.fullmatch(text):
        return
    for item in text.split(","):
        if not item:
            raise ValueError(f"{field.name} {text!r} has an empty list item")
        special = _DAY_OF_MONTH_SPECIAL if field.name == "day-of-month" else _DAY_OF_WEEK_SPECIAL
        if field.name in ("day-of-month", "day-of-week") and special.fullmatch(item.upper()):
            raise ValueError(f"{field.name} {text!r}: L, W and # stand alone in their field, not in lists or ranges")
        _item(field, item)


@cache
def quartz_problem(expression: str) -> str | None:
    """Why `expression` is not a Quartz cron expression, or None."""
    parts = expression.split()
    if not 6 <= len(parts) <= 7:
        return f"has {len(parts)} fields; Quartz takes 6 or 7, seconds first (e.g. '0 0 3 ? * MON' for Mondays 03:00)"
    if (parts[3] == "?") == (parts[5] == "?"):
        return "needs '?' in exactly one of day-of-month (4th field) and day-of-week (6th), e.g. '0 0 3 ? * MON'"
    for field, text in zip(FIELDS, parts, strict=False):
        try:
            _field(field, text)
        except ValueError as error:
            return str(error)
    return None


@cache
def time_zone_ids() -> frozenset[str]:
    """The IANA zone database's ids (zoneinfo with the `tzdata` package)."""
    return frozenset(zoneinfo.available_timezones())


def time_zone_problem(zone: str) -> str | None:
    """Why `zone` is not a time zone id the Jobs API takes, or None."""
    if zone in time_zone_ids():
        return None
    near = [z for z in time_zone_ids() if z.lower() == zone.lower()]
    hint = f" (did you mean {near[0]}? ids are case-sensitive)" if near else " (e.g. UTC, Europe/Amsterdam, Etc/GMT-1)"
    return f"{zone!r} is not a time zone id of the IANA zone database{hint}"
