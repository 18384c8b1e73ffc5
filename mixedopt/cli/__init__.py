"""The ``mixedopt`` command line.

Every command has ``--help``. Bad input ends with a one-line error on stderr and exit code 2;
an interrupted run (Ctrl-C) exits with 130 after saving what it has.

Commands are thin: they parse arguments, call the library, and render progress and tables
with rich. Library code never prints.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from mixedopt.errors import Error

app = typer.Typer(
    name="mixedopt",
    help="Train hard-threshold neural networks by mixed convex-combinatorial optimization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def net_out_path(out: str | None, flag: str) -> Path | None:
    """The ``.npz`` file a command will save its net to, checked before any work is done:
    a folder (``runs/``) or another suffix (``x.txt``) is an error, not ``runs.npz`` or
    ``x.txt.npz`` written silently after training."""
    if out is None:
        return None
    from mixedopt.errors import ValidationError
    from mixedopt.io import network_file_path

    try:
        return network_file_path(out)
    except ValidationError as exc:
        raise ValidationError(f"{flag}: {exc}") from None


def file_out_path(out: str | None, flag: str) -> Path | None:
    """A file to write at the end of a command, refused up front if it names a folder."""
    if out is None:
        return None
    from mixedopt.errors import ValidationError

    if out.endswith(("/", "\\")) or Path(out).is_dir():
        raise ValidationError(f"{flag} {out!r} is a folder; give a file name inside it.")
    return Path(out)


#: ``-v`` count of this run: ``-vv`` shows the traceback of an internal error
_verbosity = 0


def handle_errors(func: F) -> F:
    """Turn errors into a one-line message and a non-zero exit code, never a traceback.

    Bad input (a mixedopt :class:`~mixedopt.errors.Error`), a file-system error and running
    out of memory exit with 2; anything else is a bug in mixedopt, reported in one line
    with exit code 1 (``-vv`` re-raises it to show the traceback).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise
        except Error as exc:
            raise fail(str(exc)) from None
        except OSError as exc:  # missing file, permission, a file in the way, disk full
            raise fail(str(exc)) from None
        except MemoryError:
            raise fail(
                "out of memory: the data or the model is too large for this machine; use a "
                "smaller data set or narrower layers."
            ) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _verbosity >= 2:
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); this is a bug in mixedopt, "
                "please report it (run with -vv to see the traceback).",
                code=1,
            ) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _main(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."
    ),
) -> None:
    global _verbosity
    _verbosity = verbose
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@app.command("datasets")
@handle_errors
def datasets_cmd(
    name: str = typer.Argument(
        None, help="Describe one data set (a built-in name or a .csv/.dat path)."
    ),
) -> None:
    """List the built-in data sets with sizes and class balance, or describe one."""
    from mixedopt import datasets

    names = [name] if name else datasets.available()
    table = Table(title="mixedopt data sets" if not name else None)
    for col in ("name", "samples", "features", "classes", "class counts", "min %"):
        table.add_column(col, no_wrap=True)
    if name:
        table.add_column("source")
    for n in names:
        info = datasets.describe(n)
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


@app.command("demo")
@handle_errors
def demo_cmd(
    seed: int = typer.Option(0, min=0, help="Random seed."),
) -> None:
    """A short tour: exact training of a tiny net, then training on a real data set."""
    from mixedopt.cli.demo import run_demo

    run_demo(console, seed=seed)


@app.command("solve")
@handle_errors
def solve_cmd(
    data: str = typer.Option(
        ..., "--data", "-d", help="Data set: a name, 'planted:m=200,d=6,h=3,noise=0.05', or a file."
    ),
    hidden: str = typer.Option("", "--hidden", help="Hidden layer widths, e.g. '3' or '4,2'."),
    weights: str = typer.Option(
        "integer", "--weights", "-w", help="Weight domain: integer, binary, ternary or real."
    ),
    bound: float = typer.Option(
        None, "--bound", "-K", help="Weight bound K (integer: [-K, K]; real: box)."
    ),
    objective: str = typer.Option(
        "errors", "--objective", help="errors, weights, margin, or e.g. 'errors,weights'."
    ),
    backend: str = typer.Option(
        "cpsat", "--backend", "-b", help="cpsat, scip, maxsat, brute, greedy."
    ),
    method: str = typer.Option("auto", "--method", help="auto, monolithic, table or heuristic."),
    time_limit: float = typer.Option(60.0, "--time-limit", "-t", help="Seconds for the whole run."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    threads: int = typer.Option(1, "--threads", help="Solver threads."),
    out: str = typer.Option(None, "--out", "-o", help="Save the net (.npz)."),
    json_out: str = typer.Option(None, "--json", help="Save the result summary (.json)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Live progress."),
) -> None:
    """Train a sign network exactly: live incumbent/bound/gap, a final table, the net saved."""
    from mixedopt.cli.solve import run_solve

    res = run_solve(
        console,
        data=data,
        hidden=hidden,
        weights=weights,
        bound=bound,
        objective=objective,
        backend=backend,
        method=method,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        out=net_out_path(out, "--out"),
        json_out=file_out_path(json_out, "--json"),
        progress=progress,
    )
    if res.interrupted:
        raise typer.Exit(130)


@app.command("torch-train")
@handle_errors
def torch_train_cmd(
    model: str = typer.Option(
        "convnet4", "--model", "-m", help="convnet4, convnet8, alexnet, resnet18, mlp, conv1d."
    ),
    activation: str = typer.Option(
        "sign", "--activation", "-a", help="sign, step01, staircase3, staircase5 or relu."
    ),
    rule: str = typer.Option(
        "soft-hinge", "--rule", "-r", help="soft-hinge (FTP-SH), sste, ste, truncated-hinge, ..."
    ),
    data: str = typer.Option(
        "digits", "--data", "-d", help="digits, mnist1d, synthetic, cifar10, mnist, or a table."
    ),
    data_dir: str = typer.Option(None, "--data-dir", help="Folder of CIFAR-10 batches / IDX."),
    epochs: int = typer.Option(10, "--epochs", "-e", help="Epochs."),
    batch_size: int = typer.Option(None, "--batch-size", "-b", help="Total batch (preset)."),
    optimizer: str = typer.Option(None, "--optimizer", help="adam or sgd (preset)."),
    lr: float = typer.Option(None, "--lr", help="Learning rate (preset)."),
    weight_decay: float = typer.Option(None, "--weight-decay", help="Coupled L2 (preset)."),
    momentum: float = typer.Option(0.9, "--momentum", help="SGD momentum."),
    schedule: str = typer.Option("step", "--schedule", help="step, cosine or constant."),
    milestones: str = typer.Option(None, "--milestones", help="Epochs of LR x gamma, '20,25'."),
    gamma: float = typer.Option(0.1, "--gamma", help="LR factor at each milestone."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of torch, numpy and shuffling."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    option: list[str] = typer.Option(
        None, "--option", "-o", help="Model option key=value (hidden=128,64; batch_norm=true)."
    ),
    augment: bool = typer.Option(None, "--augment/--no-augment", help="Crop+flip images."),
    checkpoint: str = typer.Option(None, "--checkpoint", help="Checkpoint written every epoch."),
    resume: str = typer.Option(None, "--resume", help="Continue from this checkpoint."),
    metrics: str = typer.Option(None, "--metrics", help="Append per-epoch JSON lines here."),
    save: str = typer.Option(None, "--save", help="Save the model (.pt + .pt.json)."),
    save_net: str = typer.Option(
        None, "--save-net", help="Save an mlp as a numpy ThresholdNet (.npz) on raw inputs."
    ),
    export: str = typer.Option(None, "--export", help="Export the model graph to this file."),
    export_format: str = typer.Option("export", "--export-format", help="export/torchscript."),
    capture_targets: str = typer.Option(
        None, "--capture-targets", help="Record targets per threshold layer to this .npz."
    ),
    capture_steps: int = typer.Option(
        None, "--capture-steps", help="Also snapshot targets every this many steps."
    ),
    max_steps: int = typer.Option(None, "--max-steps", help="Cap on steps per epoch."),
    summary: bool = typer.Option(False, "--summary", help="Print the bit-aware model summary."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or tables."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Train a hard-threshold network in PyTorch (FTPROP-MB with a target-propagation rule)."""
    from mixedopt.cli.torch import parse_options, run_torch_train
    from mixedopt.torch.train import TrainConfig
    from mixedopt.validation import as_sequence_of_ints

    config = TrainConfig(
        model=model,
        activation=activation,
        rule=rule,
        data=data,
        data_dir=data_dir,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        lr=lr,
        weight_decay=weight_decay,
        momentum=momentum,
        schedule=schedule,
        milestones=as_sequence_of_ints(milestones, name="--milestones") if milestones else None,
        gamma=gamma,
        seed=seed,
        device=device,
        model_options=parse_options(option),
        augment=augment,
        checkpoint=checkpoint,
        resume=resume,
        metrics=metrics,
        capture_targets=capture_targets is not None,
        capture_steps=capture_steps,
        max_steps=max_steps,
    )
    res = run_torch_train(
        console,
        config,
        save=save,
        save_net=save_net,
        export=export,
        export_format=export_format,
        capture_path=capture_targets,
        show_summary=summary,
        quiet=quiet,
        json_out=json_out,
    )
    if res["interrupted"]:
        raise typer.Exit(130)


@app.command("train")
@handle_errors
def train_cmd(
    algo: str = typer.Option("ftprop", "--algo", "-a", help="ftprop, exact or convex."),
    data: str = typer.Option(..., "--data", "-d", help="Data set name or a .csv/.dat file."),
    hidden: str = typer.Option(None, "--hidden", help="Hidden layer widths, e.g. '64,32'."),
    out: str = typer.Option(None, "--out", "-o", help="Save the trained net (.npz)."),
    epochs: int = typer.Option(None, "--epochs", "-e", help="Epochs (ftprop max_iter)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Mini-batch size (ftprop)."),
    target_step: str = typer.Option(
        None, "--target-step", help="ftprop target step: gradient, greedy or exact."
    ),
    activation: str = typer.Option(None, "--activation", help="sign, step or staircase<n>."),
    lr: float = typer.Option(None, "--lr", help="Learning rate (ftprop)."),
    backend: str = typer.Option(None, "--backend", "-b", help="Solver backend (exact)."),
    time_limit: float = typer.Option(None, "--time-limit", "-t", help="Seconds for training."),
    early_stopping: bool = typer.Option(
        None, "--early-stopping/--no-early-stopping", help="Stop on a validation split (ftprop)."
    ),
    param: list[str] = typer.Option(
        None, "--param", "-p", help="Any other estimator parameter, key=value (repeatable)."
    ),
    test_size: float = typer.Option(0.25, "--test-size", help="Held-out fraction (0: none)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the split and the training."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Per-epoch output."),
) -> None:
    """Train a threshold network with a scikit-learn estimator; per-epoch metrics; save it."""
    from mixedopt.cli.train import parse_params, run_train
    from mixedopt.validation import as_sequence_of_ints

    options = {  # estimator parameter -> (flag, value)
        "hidden": (
            "--hidden",
            None if hidden is None else tuple(as_sequence_of_ints(hidden, name="--hidden")),
        ),
        "max_iter": ("--epochs", epochs),
        "batch_size": ("--batch-size", batch_size),
        "target_step": ("--target-step", target_step),
        "activation": ("--activation", activation),
        "learning_rate": ("--lr", lr),
        "backend": ("--backend", backend),
        "time_limit": ("--time-limit", time_limit),
        "early_stopping": ("--early-stopping", early_stopping),
    }
    res = run_train(
        console,
        algo=algo,
        data=data,
        options=options,
        params=parse_params(param),
        test_size=test_size,
        seed=seed,
        out=net_out_path(out, "--out"),
        progress=progress,
    )
    if res["interrupted"]:
        raise typer.Exit(130)


@app.command("inspect")
@handle_errors
def inspect_cmd(
    model: Path = typer.Argument(..., help="A model saved by `mixedopt train --out`."),
    data: str = typer.Option(None, "--data", "-d", help="Data set (default: the training one)."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for report.html, PNGs, JSON."),
    split: str = typer.Option("train", "--split", help="train, test or all."),
    target_step: str = typer.Option(
        "greedy", "--target-step", help="How targets are set: greedy, gradient or exact."
    ),
    history: Path = typer.Option(
        None, "--history", help="A torch target-capture history (.npz) to show."
    ),
) -> None:
    """Report the target assignment of a saved network: table, HTML, PNG figures, JSON."""
    from mixedopt.cli.train import run_inspect

    run_inspect(
        console,
        model=model,
        data=data,
        out=out,
        split=split,
        target_step=target_step,
        history=history,
    )


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@handle_errors
def bench_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(
        None, help="exact, perceptron, ftprop, torch or convex; none: list them."
    ),
) -> None:
    """Run a benchmark or reproduction script (results/*.md + .json); extra args pass through.

    Example: ``mixedopt bench exact --quick`` (or ``mixedopt bench exact -- --help``).
    """
    from mixedopt.cli.bench import BENCHMARKS, describe, run_benchmark, scripts_dir

    if name is None:
        folder = scripts_dir()
        table = Table(title=f"benchmarks in {folder}")
        table.add_column("name", style="cyan")
        table.add_column("script")
        table.add_column("what it measures")
        for key, script in BENCHMARKS.items():
            table.add_row(key, script, describe(folder / script))
        console.print(table)
        console.print(
            "run one with `mixedopt bench NAME -- OPTIONS` (options go to the script; "
            "`mixedopt bench NAME -- --help` lists them)",
            markup=False,
        )
        return
    code = run_benchmark(name, list(ctx.args))
    if code:
        raise typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mixedopt`` console script."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="mixedopt")
