"""Self-contained HTML page of a target-assignment report (written for
:class:`mixedopt.inspect.report.TargetReport`, which calls :func:`render_html` with its parts
and its figures).

One file, no external assets: inline CSS, figures as base64 PNG ``data:`` URIs, and the
JSON summary in a collapsible block.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import numpy as np

from mixedopt.inspect.layers import LayerReport

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;
color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.4em 0}
code{font-size:.85em}.muted{color:#777}
details pre{max-height:30em;overflow:auto;background:#f8f8f8;padding:.6em}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _table(head: list[str], rows: list[list[Any]], left: int = 1) -> str:
    th = "".join(
        f'<th class="{"l" if i < left else ""}">{_esc(h)}</th>' for i, h in enumerate(head)
    )
    body = []
    for r in rows:
        tds = "".join(
            f'<td class="{"l" if i < left else ""}">{_esc(v)}</td>' for i, v in enumerate(r)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _f(v: Any, fmt: str = ".3f") -> str:
    if v is None:
        return "-"
    try:
        fv = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "-" if not np.isfinite(fv) else format(fv, fmt)


_SHOWN_UNITS = 10  # per-unit tables show the worst units; the rest fold away

#: one-line definitions of the report's measures (shown on the page and by the CLI)
MEASURES = {
    "violated fraction": "targets the activations miss / targets (layer or unit); "
    "agreement = 1 - violated fraction",
    "units missing targets": "units with at least one missed target",
    "samples by number of missed targets": "how many samples miss 0, 1, 2, ... of a layer's "
    "targets (flips needed to meet them)",
    "separability": "no misses; separable (misses some, but a hyperplane on the layer's inputs "
    "fits all its targets); not separable (no hyperplane does: conflict set shown); not checked",
    "min margin": "min over samples of t*z/||w|| (negative: some target missed)",
    "code purity": "accuracy of a majority-vote lookup table on the hidden codes; compare with "
    "the labels-shuffled baseline (a code unrelated to the class) and 1.0 for one code "
    "per sample (distinct codes near the sample count make purity meaningless)",
    "last flip rate": "fraction of targets that changed in the last training epoch",
}


def render_html(
    *,
    layers: list[LayerReport],
    net_sizes: list[int],
    n_samples: int,
    accuracy: float,
    target_source: str,
    notes: list[str],
    summary: dict[str, Any],
    images: dict[str, bytes],
    target_description: str = "",
    samples: str = "",
) -> str:
    """The report as one HTML document (string).

    ``summary`` is the report's JSON data (shown in a collapsible block); ``images`` holds
    PNG bytes: ``training`` (optional) and ``targets_layer<k>`` for every layer.
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>mixedopt target report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>mixedopt target-assignment report</h1>",
        f"<p>network {_esc(net_sizes)} · {n_samples} samples · accuracy "
        f"<b>{accuracy:.4f}</b> · targets: <code>{_esc(target_source)}</code></p>",
        f"<p><b>Targets shown:</b> {_esc(target_description or target_source)}<br>"
        f"<b>Samples:</b> {_esc(samples or f'{n_samples} samples')}</p>",
    ]
    rows = []
    for ly in layers:
        checked = sum(1 for s in ly.separable if s is not None)
        rows.append(
            [
                ly.name,
                ly.n_units,
                ly.activation,
                _f(ly.violated),
                _f(ly.agreement),
                int(np.count_nonzero(ly.unit_violations)),
                int(ly.unit_violations.sum()),
                _f(np.min(ly.unit_margin) if ly.unit_margin.size else None, ".3g"),
                f"{sum(1 for s in ly.separable if s is False)}/{checked}" if checked else "-",
                "-" if ly.codes is None else ly.codes.n_codes,
                "-" if ly.codes is None else _f(ly.codes.purity),
                _f(ly.flip_rate[-1] if ly.flip_rate else None),
            ]
        )
    parts.append("<h2>Layers</h2>")
    parts.append(
        _table(
            [
                "layer",
                "units",
                "activation",
                "violated fraction",
                "agreement",
                "units missing targets",
                "violated targets",
                "min margin",
                "non-separable units",
                "codes",
                "code purity",
                "last flip rate",
            ],
            rows,
        )
    )
    parts.append(
        "<dl class='muted'>"
        + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in MEASURES.items())
        + "</dl>"
    )
    if notes:
        parts.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    if "training" in images:
        parts.append("<h2>Training</h2>" + _img(images["training"], "training curves"))
    for ly in layers:
        parts.append(f"<h2>{_esc(ly.name.capitalize())}</h2>")
        if f"targets_layer{ly.index}" in images:
            parts.append(_img(images[f"targets_layer{ly.index}"], f"targets of {ly.name}"))
        order = sorted(
            range(ly.n_units), key=lambda u: (-int(ly.unit_violations[u]), u)
        )  # worst units first
        sep = ly.separability
        unit_rows = [
            [
                u,
                _f(ly.unit_violated[u]),
                int(ly.unit_violations[u]),
                _f(ly.unit_margin[u], ".3g"),
                sep[u],
                ", ".join(map(str, ly.conflicts.get(u, [])[:20]))
                + (" ..." if len(ly.conflicts.get(u, [])) > 20 else ""),
            ]
            for u in order
        ]
        head = [
            "unit",
            "violated fraction",
            "violated",
            "margin",
            "separability",
            "conflict set (samples)",
        ]
        parts.append(_table(head, unit_rows[:_SHOWN_UNITS]))
        if ly.n_units > _SHOWN_UNITS:
            parts.append(
                f"<details><summary>the other {ly.n_units - _SHOWN_UNITS} units</summary>"
                + _table(head, unit_rows[_SHOWN_UNITS:])
                + "</details>"
            )
        mps = ly.misses_per_sample
        parts.append(
            "<p>samples by number of missed targets: "
            + ", ".join(f"{k} missed: {n}" for k, n in mps.items())
            + "</p>"
        )
        if ly.codes is not None:
            crow = [
                [cls, "; ".join(f"{c} ×{n}" for c, n in codes)]
                for cls, codes in ly.codes.per_class.items()
            ]
            parts.append(
                f"<p>{ly.codes.n_codes} distinct codes on {n_samples} samples, purity "
                f"{ly.codes.purity:.3f} (baselines: labels shuffled "
                f"{_f(ly.codes.purity_chance)}, one code for all "
                f"{_f(ly.codes.purity_majority)}, one code per sample 1.000)</p>"
                + _table(["class", "most frequent codes"], crow, left=2)
            )
    parts.append(
        "<h2>Data</h2><details><summary>JSON summary</summary><pre>"
        + _esc(json.dumps(summary, indent=1))
        + "</pre></details>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)
