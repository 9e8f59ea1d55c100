"""Results files: the machine, package versions, JSON figures, and the ratios chart (a hand-written SVG).

``benchmarks/results/`` holds what the last full run of ``make bench`` and
``make bench-load`` measured: ``side_by_side.json`` (benchmarks/side_by_side.py),
``load.json`` (benchmarks/load.py) and ``ratios.svg``, drawn from both: how
many times faster proauth2 is than each peer, on a log scale.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

#: where ``make bench`` and ``make bench-load`` leave their figures
RESULTS_DIR = Path(__file__).with_name("results")
#: the distributions whose versions a results file records
PACKAGES = (
    "proauth2",
    "werkzeug",
    "peewee",
    "flask",
    "authlib",
    "flask-sqlalchemy",
    "sqlalchemy",
    "django",
    "django-oauth-toolkit",
    "oauthlib",
    "starlette",
    "uvicorn",
    "gunicorn",
    "psycopg2-binary",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
    }


def versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (None when one is missing)."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def header(benchmark: str, **settings: Any) -> dict[str, Any]:
    """The head of a results file: what ran, when, where, with which packages and settings."""
    return {
        "benchmark": benchmark,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "packages": versions(),
        "settings": settings,
    }


def write_json(directory: Path, name: str, data: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class Bar(NamedTuple):
    """One bar of the chart: how many times faster proauth2 is (``ratio``), in a group, against a peer."""

    group: str
    label: str
    peer: str
    ratio: float


#: one colour per peer (the legend's order)
COLOURS = {
    "Authlib": "#4c72b0",
    "Authlib, WAL": "#8fb0de",
    "DOT": "#c44e52",
    "DOT, unhashed": "#e8a0a2",
    "DOT, persistent": "#dd8452",
}
_ROW, _LABEL_WIDTH, _PLOT_WIDTH, _TOP = 18, 330, 420, 56
#: the multiplication sign (U+00D7) after a ratio
_TIMES = "\u00d7"


def chart_bars(side_by_side: dict[str, Any] | None, load: dict[str, Any] | None) -> list[Bar]:
    """The bars of both results files (each lists its own under ``chart``)."""
    bars: list[Bar] = []
    for data in (side_by_side, load):
        for bar in (data or {}).get("chart", []):
            bars.append(Bar(bar["group"], bar["label"], bar["peer"], float(bar["ratio"])))
    return bars


def render_chart(bars: Sequence[Bar], subtitle: str) -> str:
    """An SVG bar chart of ``bars``: horizontal, log-scale, grouped, one colour per peer."""
    finite = [bar.ratio for bar in bars if math.isfinite(bar.ratio) and bar.ratio > 0]
    top = 10 ** max(1, math.ceil(math.log10(max(finite, default=10))))
    bottom = 10 ** min(0, math.floor(math.log10(min(finite, default=1))))
    span = math.log10(top) - math.log10(bottom)

    def x(ratio: float) -> float:
        clamped = min(max(ratio, bottom), top)
        return _LABEL_WIDTH + (math.log10(clamped) - math.log10(bottom)) / span * _PLOT_WIDTH

    lines: list[str] = []
    y = _TOP
    group = None
    for bar in bars:
        if bar.group != group:
            group = bar.group
            y += 8
            lines.append(f'<text x="8" y="{y + 12}" class="group">{escape(group)}</text>')
            y += _ROW
        width = max(x(bar.ratio) - x(bottom), 1.0)
        colour = COLOURS.get(bar.peer, "#777777")
        if not math.isfinite(bar.ratio):
            shown = "\u221e"
        else:
            shown = f"{bar.ratio:.3g}{_TIMES}" if bar.ratio < 100 else f"{bar.ratio:.0f}{_TIMES}"
        lines.append(f'<text x="{_LABEL_WIDTH - 6}" y="{y + 12}" class="label">{escape(bar.label)}</text>')
        lines.append(
            f'<rect x="{x(bottom):.1f}" y="{y + 2}" width="{width:.1f}" height="{_ROW - 5}" fill="{colour}">'
            f"<title>{escape(bar.peer)}: {escape(shown)}</title></rect>"
        )
        lines.append(f'<text x="{x(bottom) + width + 4:.1f}" y="{y + 12}" class="value">{escape(shown)}</text>')
        y += _ROW
    height = y + 40
    grid = []
    decade = bottom
    while decade <= top:
        gx = x(decade)
        grid.append(f'<line x1="{gx:.1f}" y1="{_TOP}" x2="{gx:.1f}" y2="{y}" class="grid"/>')
        grid.append(f'<text x="{gx:.1f}" y="{y + 14}" class="tick">{decade:g}{_TIMES}</text>')
        decade *= 10
    one = x(1.0)
    grid.append(f'<line x1="{one:.1f}" y1="{_TOP}" x2="{one:.1f}" y2="{y}" class="one"/>')
    legend = []
    lx = _LABEL_WIDTH
    for peer, colour in COLOURS.items():
        if any(bar.peer == peer for bar in bars):
            legend.append(f'<rect x="{lx}" y="{y + 24}" width="10" height="10" fill="{colour}"/>')
            legend.append(f'<text x="{lx + 14}" y="{y + 33}" class="legend">{escape(peer)}</text>')
            lx += 16 + 7 * len(peer) + 12
    width = max(_LABEL_WIDTH + _PLOT_WIDTH + 60, lx + 10)
    style = (
        "text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:11px;fill:#222}"
        ".title{font-size:14px;font-weight:600}.subtitle{fill:#555}.group{font-weight:600}"
        ".label{text-anchor:end}.tick{text-anchor:middle;fill:#555}.value{fill:#333}"
        ".grid{stroke:#ddd;stroke-width:1}.one{stroke:#888;stroke-width:1}"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 10}" '
            f'viewBox="0 0 {width} {height + 10}" role="img" aria-label="How many times faster proauth2 is">',
            f"<style>{style}</style>",
            f'<rect width="{width}" height="{height + 10}" fill="#fff"/>',
            f'<text x="8" y="20" class="title">How many times faster proauth2 is '
            f"(log scale; 1{_TIMES} = as fast)</text>",
            f'<text x="8" y="38" class="subtitle">{escape(subtitle)}</text>',
            *grid,
            *lines,
            *legend,
            "</svg>",
            "",
        ]
    )


def write_chart(directory: Path) -> Path | None:
    """Redraw ``ratios.svg`` from the results files in ``directory`` (None when there are none)."""
    loaded: dict[str, dict[str, Any] | None] = {}
    for name in ("side_by_side", "load"):
        path = directory / f"{name}.json"
        loaded[name] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    bars = chart_bars(loaded["side_by_side"], loaded["load"])
    if not bars:
        return None
    first = loaded["side_by_side"] or loaded["load"] or {}
    info = first.get("machine", {})
    subtitle = (
        f"{info.get('cpu', '?')}, {info.get('cpu_count', '?')} CPUs, Python {info.get('python', '?')}; "
        f"{first.get('date', '?')[:10]}; medians of interleaved rounds (make bench, make bench-load)"
    )
    path = directory / "ratios.svg"
    path.write_text(render_chart(bars, subtitle), encoding="utf-8")
    return path
