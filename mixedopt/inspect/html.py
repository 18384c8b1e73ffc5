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
    ]
    rows = []
    for ly in layers:
        checked = sum(1 for s in ly.separable if s is not None)
        rows.append(
            [
                ly.name,
                ly.n_units,
                ly.activation,
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
    if notes:
        parts.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    if "training" in images:
        parts.append("<h2>Training</h2>" + _img(images["training"], "training curves"))
    for ly in layers:
        parts.append(f"<h2>{_esc(ly.name.capitalize())}</h2>")
        parts.append(_img(images[f"targets_layer{ly.index}"], f"targets of {ly.name}"))
        unit_rows = [
            [
                u,
                _f(ly.unit_agreement[u]),
                _f(ly.unit_margin[u], ".3g"),
                int(ly.unit_violations[u]),
                {True: "yes", False: "no", None: "-"}[ly.separable[u]],
                ", ".join(map(str, ly.conflicts.get(u, [])[:20]))
                + (" ..." if len(ly.conflicts.get(u, [])) > 20 else ""),
            ]
            for u in range(min(ly.n_units, 64))
        ]
        parts.append(
            _table(
                ["unit", "agreement", "margin", "violated", "separable", "conflict set (samples)"],
                unit_rows,
            )
        )
        if ly.n_units > 64:
            parts.append(f"<p class='muted'>first 64 of {ly.n_units} units shown.</p>")
        if ly.codes is not None:
            crow = [
                [cls, "; ".join(f"{c} ×{n}" for c, n in codes)]
                for cls, codes in ly.codes.per_class.items()
            ]
            parts.append(
                f"<p>{ly.codes.n_codes} distinct codes, purity {ly.codes.purity:.3f}</p>"
                + _table(["class", "most frequent codes"], crow, left=2)
            )
    parts.append(
        "<h2>Data</h2><details><summary>JSON summary</summary><pre>"
        + _esc(json.dumps(summary, indent=1))
        + "</pre></details>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)
