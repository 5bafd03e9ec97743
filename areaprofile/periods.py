"""Month ranges: presets a person chooses from, and the periods a change is measured against."""

from __future__ import annotations

from dataclasses import dataclass

from areaprofile.errors import AreaprofileError


def shift(month: str, months: int) -> str:
    """``month`` moved by ``months`` (negative = earlier)."""
    year, number = map(int, month.split("-"))
    index = year * 12 + (number - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def span(start: str, end: str) -> int:
    """Number of months from start to end inclusive."""
    y1, m1 = map(int, start.split("-"))
    y2, m2 = map(int, end.split("-"))
    return (y2 * 12 + m2) - (y1 * 12 + m1) + 1


def month_list(start: str, end: str) -> list[str]:
    return [shift(start, i) for i in range(span(start, end))]


def label(month: str) -> str:
    """'2021-09' -> 'Sep 2021'."""
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    year, number = month.split("-")
    return f"{names[int(number) - 1]} {year}"


@dataclass(frozen=True)
class Period:
    start: str
    end: str

    @property
    def months(self) -> int:
        return span(self.start, self.end)

    @property
    def label(self) -> str:
        if self.start == self.end:
            return label(self.start)
        return f"{label(self.start)} to {label(self.end)}"

    def previous(self) -> "Period":
        """The same number of months just before."""
        return Period(shift(self.start, -self.months), shift(self.start, -1))

    def year_earlier(self) -> "Period":
        return Period(shift(self.start, -12), shift(self.end, -12))


PRESETS = ("Last month", "Last 3 months", "Last 12 months", "Financial year", "Custom")


def preset_period(preset: str, latest: str, financial_year_end: str | None = None) -> Period:
    """The period a preset means when ``latest`` is the newest month loaded.

    'Financial year' is April-March; by default the latest complete one (or the one in
    progress, to date, if no complete year is loaded is not asked for)."""
    if preset == "Last month":
        return Period(latest, latest)
    if preset == "Last 3 months":
        return Period(shift(latest, -2), latest)
    if preset == "Last 12 months":
        return Period(shift(latest, -11), latest)
    if preset == "Financial year":
        end = financial_year_end or latest_financial_year_end(latest)
        return Period(shift(end, -11), end)
    raise AreaprofileError(f"Unknown period '{preset}'; choose one of {', '.join(PRESETS[:-1])}.")


def latest_financial_year_end(latest: str) -> str:
    """March of the latest April-March year that is complete by ``latest``."""
    year, number = map(int, latest.split("-"))
    return f"{year if number >= 3 else year - 1:04d}-03"


def financial_years(first: str, latest: str) -> list[str]:
    """Labels like '2020/21' for every complete April-March year between first and latest."""
    out = []
    end = latest_financial_year_end(latest)
    while shift(end, -11) >= first:
        year = int(end[:4])
        out.append(f"{year - 1}/{str(year)[2:]}")
        end = shift(end, -12)
    return out


def financial_year_period(label_text: str) -> Period:
    start_year = int(label_text.split("/")[0])
    return Period(f"{start_year:04d}-04", f"{start_year + 1:04d}-03")
