"""Server-side inline SVG charts (no JavaScript, no external assets).

Each function returns one `<svg>` element as a string; all text is escaped.
Colours come from CSS classes defined in static/dashboard.css, so the charts
follow the page's palette.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

LABEL_CLASSES = {"high": "fill-high", "medium": "fill-medium", "low": "fill-low"}
FONT = 12


def _attrs(**values: object) -> str:
    return " ".join(f'{key.rstrip("_").replace("_", "-")}="{escape(str(value))}"' for key, value in values.items())


def _svg(width: int, height: int, body: Sequence[str], title: str) -> str:
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" style="max-width: {width}px" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "axis-text", **extra: object) -> str:
    return f'<text {_attrs(x=f"{x:.1f}", y=f"{y:.1f}", text_anchor=anchor, class_=cls, **extra)}>{escape(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, cls: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    box = _attrs(x=f"{x:.2f}", y=f"{y:.2f}", width=f"{max(w, 0):.2f}", height=f"{max(h, 0):.2f}", class_=cls)
    return f"<rect {box}>{title}</rect>"


def _line(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line {_attrs(x1=f"{x1:.2f}", y1=f"{y1:.2f}", x2=f"{x2:.2f}", y2=f"{y2:.2f}", class_=cls)}/>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (about `count` of them)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(index * step, 10) for index in range(first, last + 1)]


def _compact(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}"


def histogram(bins: Sequence[dict], labels: Sequence[str], title: str = "Score distribution") -> str:
    """Stacked histogram: one bar per score bin, split by label (bins from queries.distribution)."""
    width, height, left, right, top, bottom = 560, 240, 48, 12, 12, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((b["users"] for b in bins), default=0) or 1
    ticks = nice_ticks(0, most, 5)
    scale_max = max(ticks[-1], most)
    body = []
    for tick in ticks:
        y = top + plot_h - plot_h * tick / scale_max
        body += [_line(left, y, width - right, y, "grid"), _text(left - 6, y + 4, _compact(tick), "end")]
    bar_w = plot_w / max(len(bins), 1)
    for index, b in enumerate(bins):
        x, base = left + index * bar_w, top + plot_h
        for label in labels:
            users = b["by_label"].get(label, 0)
            if not users:
                continue
            h = plot_h * users / scale_max
            base -= h
            tip = f"score {b['lo']:g}–{b['hi']:g}: {users:,} {label} users ({b['users']:,} in bin)"
            body.append(_rect(x + 1, base, bar_w - 2, h, LABEL_CLASSES.get(label, "fill-low"), tip))
    for tick in nice_ticks(0, 100, 10):
        x = left + plot_w * tick / 100
        body += [_line(x, top + plot_h, x, top + plot_h + 4, "axis"),
                 _text(x, top + plot_h + 17, f"{tick:g}", "middle")]
    body += [_line(left, top + plot_h, width - right, top + plot_h, "axis"),
             _text(left + plot_w / 2, height - 4, "score", "middle", "axis-title")]
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart."""

    label: str
    value: float
    css: str = "fill-accent"
    text: str | None = None


def bars(
    items: Sequence[Bar], title: str, fmt: Callable[[float], str] = _compact, max_value: float | None = None
) -> str:
    """Horizontal bars with the label on the left and the formatted value at the bar's end."""
    width, row, left, right = 520, 30, 120, 70
    height = row * len(items) + 8
    most = max_value or max((abs(i.value) for i in items), default=0) or 1
    body = []
    for index, item in enumerate(items):
        y = 4 + index * row
        w = (width - left - right) * max(item.value, 0) / most
        body += [_text(left - 8, y + row / 2 + 4, item.label, "end", "bar-label"),
                 _rect(left, y + 5, w, row - 10, item.css, f"{item.label}: {item.text or fmt(item.value)}"),
                 _text(left + w + 6, y + row / 2 + 4, item.text or fmt(item.value), "start", "bar-value")]
    return _svg(width, height, body, title)


@dataclass(frozen=True)
class Step:
    """One contribution in a waterfall: a named signed amount, with a tooltip."""

    label: str
    value: float
    tip: str = ""


def waterfall(
    steps: Sequence[Step],
    start: float,
    start_label: str,
    end_label: str,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:+.2f}",
) -> str:
    """Horizontal waterfall: a start bar, one floating bar per step (green up, red down) and the total.

    Start and total bars grow from zero; each step starts where the running total stood.
    """
    width, row, left, right, top = 600, 24, 196, 56, 22
    total = start + sum(s.value for s in steps)
    running, positions = start, []
    for s in steps:
        positions.append((running, running + s.value))
        running += s.value
    points = [0.0, start, total, *[p for pair in positions for p in pair]]
    ticks = nice_ticks(min(points), max(points), 6)
    low, high = ticks[0], ticks[-1]
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + plot_w * (value - low) / ((high - low) or 1)

    rows = [(start_label, 0.0, start, "fill-base", f"{start_label}: {start:.2f}", f"{start:.2f}")]
    rows += [(s.label, a, b, "fill-pos" if s.value >= 0 else "fill-neg", s.tip or f"{s.label}: {fmt(s.value)}",
              fmt(s.value)) for s, (a, b) in zip(steps, positions, strict=True)]
    rows.append((end_label, 0.0, total, "fill-total", f"{end_label}: {total:.2f}", f"{total:.2f}"))
    height = top + row * len(rows) + 10
    body = []
    for tick in ticks:
        body += [_line(x(tick), top - 4, x(tick), height - 6, "grid"), _text(x(tick), top - 8, f"{tick:g}", "middle")]
    body.append(_line(x(0), top - 4, x(0), height - 6, "axis"))
    for index, (label, a, b, css, tip, value_text) in enumerate(rows):
        y = top + index * row
        body.append(_text(left - 8, y + row / 2 + 4, label, "end", "bar-label bold" if css in
                          ("fill-base", "fill-total") else "bar-label"))
        body.append(_rect(x(min(a, b)), y + 4, max(abs(x(b) - x(a)), 1.5), row - 8, css, tip))
        body.append(_text(x(max(a, b)) + 5, y + row / 2 + 4, value_text, "start", "bar-value"))
        if 0 < index < len(rows) - 1:
            body.append(_line(x(b), y + row - 4, x(b), y + row + 4, "connector"))
    return _svg(width, height, body, title)


def _ts(value: str | dt.datetime) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def session_css(session: dict) -> str:
    """CSS class of a session dot: bot-like, converting, high intent, bounced or plain."""
    if session.get("is_spam"):
        return "dot-bot"
    if (session.get("signups") or 0) + (session.get("calendar_bookings") or 0) > 0:
        return "dot-convert"
    if session.get("high_intent_events"):
        return "dot-intent"
    return "dot-bounce" if session.get("is_bounce") else "dot-plain"


def timeline(sessions: Sequence[dict], end: str | dt.datetime | None, title: str = "Session timeline") -> str:
    """Sessions over time: one dot per session (area ~ events), y = duration (log scale), coloured by kind."""
    width, height, left, right, top, bottom = 1160, 210, 44, 20, 18, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    if not sessions:
        return _svg(width, 60, [_text(width / 2, 34, "no sessions", "middle")], title)
    starts = [_ts(s["started_at"]) for s in sessions]
    first = min(starts)
    last = max(max(starts), _ts(end)) if end else max(starts)
    span = max((last - first).total_seconds(), 3600.0)
    max_duration = max(max((s["duration_sec"] or 0) for s in sessions), 60)
    log_max = math.log10(max_duration + 1)

    def px(t: dt.datetime) -> float:
        return left + plot_w * (t - first).total_seconds() / span

    def py(duration: float) -> float:
        return top + plot_h - plot_h * math.log10((duration or 0) + 1) / log_max

    body = []
    for seconds, name in ((0, "0s"), (60, "1m"), (600, "10m"), (3600, "1h"), (6 * 3600, "6h")):
        if seconds <= max_duration:
            body += [_line(left, py(seconds), width - right, py(seconds), "grid"),
                     _text(left - 6, py(seconds) + 4, name, "end")]
    for index in range(6):
        t = first + dt.timedelta(seconds=span * index / 5)
        body.append(_text(px(t), height - 14, t.strftime("%Y-%m-%d"), "middle"))
    body.append(_line(left, top + plot_h, width - right, top + plot_h, "axis"))
    for s, t in zip(sessions, starts, strict=True):
        radius = 3 + 2.2 * math.sqrt(s["event_count"] or 1)
        tip = (f"{t:%Y-%m-%d %H:%M} · {s['event_count']} events · {s['duration_sec']}s · "
               f"entry {s.get('entry_page_path') or '-'}" + (" · bounce" if s.get("is_bounce") else "")
               + (" · bot-like" if s.get("is_spam") else ""))
        cy = py(s["duration_sec"])
        circle = _attrs(cx=f"{px(t):.1f}", cy=f"{cy:.1f}", r=f"{min(radius, 16):.1f}", class_=session_css(s))
        body.append(f"<circle {circle}><title>{escape(tip)}</title></circle>")
    return _svg(width, height, body, title)
