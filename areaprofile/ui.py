"""Streamlit glue shared by every page: the sidebar selection (mirrored in the URL), cached
calls into :mod:`areaprofile.profile`, and the chart-plus-table pattern.

Nothing here computes a statistic; it only asks the package and lays out the answer.
"""

from __future__ import annotations

import html
import sys
from contextlib import contextmanager
from typing import Callable

import streamlit as st

from areaprofile import completeness, deferred_import, partnership, places, profile, query, update_log
from areaprofile.config import ASB, CRIME_TYPES
from areaprofile.errors import AreaprofileError
from areaprofile.periods import PRESETS, Period, financial_year_period, financial_years, label, preset_period

pd = deferred_import.module("pandas")  # imported by the first function that uses it (see deferred_import)

TYPE_MODES = ("All crime and ASB", "All crime (excluding ASB)", "Anti-social behaviour only", "Choose types")
_MODE_PARAM = {"All crime and ASB": "all", "All crime (excluding ASB)": "all-crime", "Anti-social behaviour only": "asb", "Choose types": "chosen"}
_PRESET_PARAM = {"Last month": "last-month", "Last 3 months": "last-3-months", "Last 12 months": "last-12-months", "Financial year": "financial-year", "Custom": "custom"}


#: A clear focus ring on every control the keyboard reaches (WCAG 2.4.7). Streamlit's own marks a
#: focused page link, radio button or toggle only with a faint grey background. Radio buttons and
#: toggles hide their real input, so the ring goes round its label; text inputs and select boxes
#: keep their own (a coloured border), so they are left out. The date box's day and month parts are
#: widened to 24 px, the WCAG 2.2 minimum target size; the rest styles ui.light_table.
FOCUS_CSS = """<style>
a:focus-visible, button:focus-visible, summary:focus-visible, [tabindex]:focus-visible,
label:has(input[type=checkbox]:focus-visible, input[type=radio]:focus-visible)
{outline: 3px solid #0b5394 !important; outline-offset: 2px !important;}
[data-testid="stDateInput"] [role="spinbutton"] {display: inline-block; min-width: 24px; min-height: 24px;
  text-align: center;}
.ap-table {overflow-x: auto; max-width: 100%;}
.ap-table table {border-collapse: collapse; font-size: 0.9rem;}
.ap-table caption {text-align: left; font-weight: 600; padding: 0 0 0.4rem;}
.ap-table th, .ap-table td {border-bottom: 1px solid #d6d6d6; padding: 0.3rem 0.75rem 0.3rem 0; text-align: left;
  vertical-align: top;}
.ap-table thead th {border-bottom: 2px solid #555;}
.ap-table tbody th {font-weight: normal;}
.ap-table .ap-num {text-align: right; font-variant-numeric: tabular-nums;}
</style>"""


def page_style() -> None:
    """Add the app-wide style rules (call once per run, before anything is drawn)."""
    st.html(FOCUS_CSS)


def page_links(sections: dict[str, list]) -> None:
    """The page list at the top of the sidebar: each section's name, then its pages as links.

    Drawn here rather than by ``st.navigation``'s own menu because Streamlit 1.67 puts a
    sectioned menu's <li> items inside <div>s inside its <ul>, which screen readers and axe-core
    reject (WCAG 1.3.1); plain links under a bold label carry the same structure correctly.
    """
    with st.sidebar:
        for section, section_pages in sections.items():
            with st.container(gap="xsmall"):  # 28 px between links: WCAG 2.5.8 target spacing
                st.markdown(f"**{section}**")
                for page in section_pages:
                    st.page_link(page, width="stretch")
        st.divider()


# ---- the store ------------------------------------------------------------------------------


_PINNED = "_areaprofile_store"


def pin_store() -> query.Store:
    """Open the store once at the start of a script run (the sidebar does this), in the area
    scheme chosen in the sidebar or the URL (``?scheme=``; the partnership's first by default).

    Every call in the same run then reads that one file, so a rebuild that lands halfway
    through a page never mixes old and new numbers; the next run picks up the new file.
    """
    try:
        settings = partnership.of_store(query.open_store())
        ids = [scheme.id for scheme in settings.schemes]
        wanted = st.session_state.get("scheme") or _from_url("scheme", ids[0])
        st.session_state["scheme"] = wanted if wanted in ids else ids[0]
        st.session_state[_PINNED] = query.open_store(None, st.session_state["scheme"])
    except AreaprofileError as exc:
        st.error(exc.message)
        st.stop()
    return st.session_state[_PINNED]


def store() -> query.Store:
    """The store pinned for this run; stops the page with a clear message when there is none."""
    pinned = st.session_state.get(_PINNED)
    if pinned is not None:
        return pinned
    try:
        return query.open_store(None, st.session_state.get("scheme"))
    except AreaprofileError as exc:
        st.error(exc.message)
        st.stop()


def progress(sentence: str):
    """Say in words what a slow step is doing while it runs (a spinner with ``sentence`` and the
    seconds so far). Only steps that take over half a second show it, so cached answers do not
    flicker. Needed because ``client.toolbarMode = "minimal"`` also hides Streamlit's own
    running indicator."""
    return st.spinner(sentence, show_time=True)


def page_title() -> str:
    """The browser tab's title: the partnership of the store this app serves."""
    try:
        return f"{partnership.of_store(query.open_store()).short_name} community safety area profiles"
    except AreaprofileError:
        return "Community safety area profiles"


def settings() -> partnership.Partnership:
    """The partnership of the store this run reads (its names, areas, caveats, force)."""
    return partnership.of_store(store())


def area_names() -> tuple[str, ...]:
    """The areas of the pinned store's scheme, in order."""
    return query.area_names(store())


def how_many(n: int) -> str:
    """A count as a word for headings ('five'), digits above twelve."""
    words = "zero one two three four five six seven eight nine ten eleven twelve".split()
    return words[n] if 0 <= n < len(words) else f"{n:,}"


def csv_scheme_part() -> str:
    """'<scheme id>-' for download names when the partnership offers several area schemes, else ''."""
    current = settings()
    return f"{store().scheme or current.default_scheme.id}-" if len(current.schemes) > 1 else ""


def everywhere() -> str:
    """The whole partnership as one choice, e.g. 'All Anytown'."""
    return settings().all_label


@contextmanager
def friendly_errors():
    """Show a user error as one sentence instead of a traceback."""
    try:
        yield
    except AreaprofileError as exc:
        st.error(exc.message)
        st.stop()


#: Bounded both ways, so a long-running server's memory has a ceiling (a pack is ~0.5 MB).
@st.cache_data(show_spinner=False, max_entries=512, max_size="64MiB")
def cached(function_key: str, store_version: str, *args, _function: Callable, _store: query.Store, _register=None,
           **kwargs):
    """``_function(_store, *args, **kwargs)`` once per function, store version and arguments.

    ``function_key`` names ``_function`` (module and name) for the cache key. ``_store`` (not
    hashed) is the store whose version is ``store_version``: the answer is computed from exactly
    the file the key names, never from one swapped in meanwhile. With ``_register`` the function
    is also given ``register=`` (then ``store_version`` names the register's latest change too).
    """
    if _register is not None:
        kwargs["register"] = _register
    return _function(_store, *args, **kwargs)


def function_key(function: Callable) -> str:
    """What names a package function in the cache: its module and name."""
    return f"{function.__module__}.{function.__qualname__}"


def get(function: Callable, *args, **kwargs):
    """``get(profile.headlines, selection)``: a package function's answer for the open store, cached."""
    current = store()
    with friendly_errors():
        return cached(function_key(function), cache_version(current), *args, _function=function, _store=current,
                      **kwargs)


def cache_version(current: query.Store) -> str:
    """What :func:`cached` keys on besides the call: the store's version and its update log's."""
    # The update run log lives beside the store: a recorded check changes 'last checked' without a rebuild.
    return f"{current.version}|{update_log.log_version(current.path)}"


def get_with_register(function: Callable, *args, **kwargs):
    """Like :func:`get` for functions that also read the concerns register (``register=``):
    cached per store version and register change, so an edit shows on the next run."""
    from areaprofile import ui_signin
    from areaprofile.register.changes import latest_change

    current = store()
    register = ui_signin.register()
    with friendly_errors():
        version = f"{current.version}|{update_log.log_version(current.path)}|{register.url}|{latest_change(register)}"
        return cached(function_key(function), version, *args, _function=function, _store=current,
                      _register=register, **kwargs)


# ---- the sidebar selection --------------------------------------------------------------------


def _from_url(key: str, default):
    values = st.query_params.get_all(key)
    if not values:
        return default
    return values if isinstance(default, list) else values[0]


def _init_state(months: list[str]) -> None:
    """First run of a session: take the selection from the URL (a pasted link), else defaults."""
    if st.session_state.get("_selection_ready"):
        return
    latest = months[-1]
    area = _from_url("area", everywhere())
    st.session_state["area"] = area if area in (everywhere(), *area_names()) else everywhere()
    preset_key = _from_url("period", "last-3-months")
    preset = next((name for name, key in _PRESET_PARAM.items() if key == preset_key), "Last 3 months")
    st.session_state["preset"] = preset
    years = financial_years(months[0], latest)
    fy = _from_url("fy", years[0] if years else "")
    st.session_state["fy"] = fy if fy in years else (years[0] if years else None)
    start, end = _from_url("from", preset_period("Last 3 months", latest).start), _from_url("to", latest)
    st.session_state["from"] = start if start in months else months[max(0, len(months) - 3)]
    st.session_state["to"] = end if end in months else latest
    mode_key = _from_url("types", "all")
    st.session_state["types_mode"] = next((m for m, k in _MODE_PARAM.items() if k == mode_key), TYPE_MODES[0])
    chosen = [t for t in _from_url("type", []) if t in CRIME_TYPES]
    st.session_state["types"] = chosen or ["Burglary"]
    ward, parish = _from_url("ward", None), _from_url("parish", None)
    st.session_state["place"] = f"ward:{ward}" if ward else f"parish:{parish}" if parish else WHOLE_AREA  # checked in sidebar()
    st.session_state["_selection_ready"] = True


#: The "place" choice meaning no ward or parish (values are otherwise 'ward:NAME' or 'parish:NAME').
WHOLE_AREA = ""


def place_choices(area: str | None) -> dict[str, str]:
    """The sidebar's ward-or-parish options for ``area``: value -> label (empty without an area)."""
    if not area:
        return {}
    return {WHOLE_AREA: f"All of {area}", **{f"{p.kind}:{p.name}": p.label for p in get(places.places_in, area)}}


def _to_url() -> None:
    """Mirror the selection in the URL so a copied link reproduces the view."""
    params = {"area": st.session_state["area"], "period": _PRESET_PARAM[st.session_state["preset"]],
              "types": _MODE_PARAM[st.session_state["types_mode"]]}
    if len(settings().schemes) > 1:
        params["scheme"] = st.session_state["scheme"]
    if st.session_state["preset"] == "Custom":
        params["from"], params["to"] = st.session_state["from"], st.session_state["to"]
    if st.session_state["preset"] == "Financial year" and st.session_state.get("fy"):
        params["fy"] = st.session_state["fy"]
    if st.session_state["types_mode"] == "Choose types":
        params["type"] = list(st.session_state["types"])
    if st.session_state.get("place"):
        kind, name = st.session_state["place"].split(":", 1)
        params[kind] = name
    # Keep what a page puts in the URL itself (e.g. view=priorities), so its links survive.
    for key in st.query_params:
        if key not in ("area", "period", "types", "from", "to", "fy", "type", "scheme", "ward", "parish"):
            params[key] = st.query_params[key]
    if dict(st.query_params.to_dict()) != params or st.query_params.get_all("type") != params.get("type", []):
        st.query_params.from_dict(params)


def sidebar() -> profile.Selection:
    """Draw the shared filters and return the selection every page uses."""
    pin_store()
    months = get(profile.loaded_months)
    if not months:
        st.error("The store holds no months; add data on the Data & sources page.")
        st.stop()
    _init_state(months)
    current = settings()
    choices = [current.all_label, *area_names()]
    if st.session_state.get("area") not in choices:  # e.g. after switching to another area scheme
        st.session_state["area"] = current.all_label
    with st.sidebar:
        if len(current.schemes) > 1:
            names = {s.id: s.name for s in current.schemes}
            st.selectbox("Area scheme", list(names), key="scheme", format_func=names.get,
                         help=f"How {current.short_name} is divided into areas.")
        scheme = current.scheme(st.session_state["scheme"])
        st.selectbox("Area", choices, key="area",
                     help=f"One of the {len(scheme.areas)} areas ({scheme.name}), or all of {current.short_name}.")
        in_area = place_choices(None if st.session_state["area"] == current.all_label else st.session_state["area"])
        if st.session_state.get("place") not in in_area:  # another area, or a name the URL got wrong
            st.session_state["place"] = WHOLE_AREA
        if in_area:
            st.selectbox("Ward or parish", list(in_area), key="place", format_func=in_area.get,
                         help="Go down a level: the part of a ward or parish inside the area. '(part)': most of it "
                              "lies in another area.")
        st.selectbox("Period", PRESETS, key="preset", help=f"Latest month loaded: {label(months[-1])}.")
        preset = st.session_state["preset"]
        if preset == "Financial year":
            years = financial_years(months[0], months[-1])
            if years:
                st.selectbox("Financial year (April to March)", years, key="fy")
            else:
                st.info("No complete April-March year is loaded.")
        if preset == "Custom":
            st.selectbox("From", months, key="from", format_func=label)
            st.selectbox("To", months, key="to", format_func=label)
        st.radio("Records", TYPE_MODES, key="types_mode")
        if st.session_state["types_mode"] == "Choose types":
            st.multiselect("Crime types", CRIME_TYPES, key="types")
    _to_url()

    latest = months[-1]
    with friendly_errors():
        if preset == "Custom":
            period = Period(st.session_state["from"], st.session_state["to"])
        elif preset == "Financial year" and st.session_state.get("fy"):
            period = financial_year_period(st.session_state["fy"])
        else:
            period = preset_period("Last 3 months" if preset == "Financial year" else preset, latest)
        mode = st.session_state["types_mode"]
        types = {
            "All crime and ASB": None,
            "All crime (excluding ASB)": tuple(t for t in CRIME_TYPES if t != ASB),
            "Anti-social behaviour only": (ASB,),
            "Choose types": tuple(st.session_state["types"]) or None,
        }[mode]
        area = None if st.session_state["area"] == current.all_label else st.session_state["area"]
        kind, _, name = st.session_state["place"].partition(":")
        selection = profile.Selection(area=area, period=period, crime_types=types, everywhere=current.all_label,
                                      ward=name if kind == "ward" else None, parish=name if kind == "parish" else None)
    have, want = get(profile.period_coverage, period)
    if have < want:
        st.warning(f"Only {have} of the {want} months in {period.label} are loaded; figures cover those months only.")
    return selection


def selection_caption(selection: profile.Selection) -> str:
    return f"{selection.area_label} · {selection.period.label} · {selection.types_label}"


def source_line() -> str:
    return f"Source: data.police.uk ({settings().force_names}), Census 2021 population (ONS). {get(profile.data_correct_as_of)}."


# ---- charts with their words and tables ----------------------------------------------------


def literal(text) -> str:
    """People's text for st.markdown / st.write, shown as typed: markdown and HTML characters are
    escaped (no links, emphasis or tags), and line breaks kept."""
    escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))
    return escaped.replace("\n", "  \n")


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def active_title(sentence: str) -> None:
    st.markdown(f"**{html.escape(sentence)}**")


def _cell(value) -> str:
    """One value as table text: whole numbers with thousands separators, others to 1 decimal."""
    value = value.item() if hasattr(value, "item") else value  # numpy scalars to Python ones
    if value is None or _is_pandas_na(value) or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _is_pandas_na(value) -> bool:
    """pandas' missing value (a value cannot be one while pandas is not imported)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is pandas.NA


def light_table(frame: pd.DataFrame | list[dict], caption: str) -> str:
    """``frame`` (a DataFrame, or rows as dicts with the same keys) as a plain, accessible HTML
    table: a <caption>, column headers with scope="col" and each row's first cell as its header
    (scope="row"). Every value is escaped; numeric columns are aligned right.

    For tables that need no sorting or scrolling: unlike ``st.dataframe`` it does not make the
    browser load Streamlit's 1.7 MB data-grid code, and its text is real text (found, copied,
    read aloud, zoomed). Wide tables scroll sideways inside a focusable region on a phone.
    """
    columns, numeric, records = _table_parts(frame)
    head = "".join(f'<th scope="col"{cls}>{html.escape(str(c))}</th>' for c, cls in
                   zip(columns, ["", *(' class="ap-num"' if n else "" for n in numeric)]))
    rows = []
    for record in records:
        first, *rest = (_cell(v) for v in record)
        rows.append(f'<tr><th scope="row">{html.escape(first)}</th>' + "".join(
            f'<td class="ap-num">{html.escape(c)}</td>' if num else f"<td>{html.escape(c)}</td>"
            for c, num in zip(rest, numeric)) + "</tr>")
    label = html.escape(caption, quote=True)
    return (f'<div class="ap-table" role="region" aria-label="{label}" tabindex="0"><table>'
            f"<caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _table_parts(frame: pd.DataFrame | list[dict]) -> tuple[list, list[bool], list[tuple]]:
    """Column names, whether each column after the first is numeric (not Yes/No), and the rows."""
    if isinstance(frame, list):  # rows as dicts: no pandas needed (the map page's first run)
        columns = list(frame[0]) if frame else []
        records = [tuple(row.get(column) for column in columns) for row in frame]
        numeric = [_all_numbers([record[index] for record in records]) for index in range(1, len(columns))]
        return columns, numeric, records
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns[1:]]
    return list(frame.columns), numeric, list(frame.itertuples(index=False))


def _all_numbers(values: list) -> bool:
    """A column of numbers (blanks allowed), not of Yes/No."""
    present = [value for value in values if value is not None]
    return bool(present) and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present)


def table_alternative(frame: pd.DataFrame | list[dict], label_text: str = "Show this as a table") -> None:
    """The numbers behind a chart or map, in a closed expander, as a light table."""
    what = label_text.removeprefix("Show ").removesuffix(" as a table")
    with st.expander(label_text):
        st.html(light_table(frame, "The numbers in the chart above" if what == "this" else what[:1].upper() + what[1:]))


def completeness_note(selection: profile.Selection) -> None:
    """Beside a figure: a warning when its period is incomplete, and the completeness facts (package words)."""
    facts = get(completeness.completeness, selection)
    notice = facts.notice()
    if notice:
        st.warning(notice)
    st.write(facts.sentence())


def outcomes_caveat(result) -> None:
    """Why outcomes are shown only for some months, and which download they come from."""
    st.info(f"{result.caveat} {result.left_out_sentence()}")


def footer() -> None:
    st.divider()
    st.caption(source_line())
    st.caption(get(profile.attribution))
