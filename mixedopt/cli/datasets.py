"""``mixedopt datasets``: the built-in data sets with sizes and class balance, or one of them."""

from __future__ import annotations

import typer
from rich.table import Table

from mixedopt import datasets
from mixedopt.cli.common import console, err_console, handle_errors

__all__ = ["datasets_cmd"]


@handle_errors
def datasets_cmd(
    name: str = typer.Argument(
        None, help="Describe one data set (a built-in name or a .csv/.dat path)."
    ),
) -> None:
    """List the built-in data sets with sizes and class balance, or describe one."""
    names = [name] if name else datasets.available()
    table = Table(title="mixedopt data sets" if not name else None)
    for col in ("name", "samples", "features", "classes", "class counts", "min %"):
        table.add_column(col, no_wrap=True)
    if name:
        table.add_column("source")
    infos = []
    # loading every data set takes seconds: say so on stderr (a spinner on a terminal)
    with err_console.status("loading data sets...") as status:
        for n in names:
            status.update(f"loading data set {n}...")
            infos.append(datasets.describe(n))
    for info in infos:
        counts = list((info.class_counts or {}).values())
        shown = "/".join(str(c) for c in counts[:4]) + ("/..." if len(counts) > 4 else "")
        minority = f"{min(counts) / sum(counts):.0%}" if counts else "-"
        row = [
            info.name,
            str(info.n_samples),
            str(info.n_features),
            str(len(counts)),
            shown,
            minority,
        ]
        if name:
            row.append(info.source or "")
        table.add_row(*row)
    console.print(table)
