"""Non-convex baselines of the convex threshold-network paper: straight-through training.

Threshold networks with trainable amplitudes, ``f(x) = sum_j s_j 1{x w_j + b_j >= 0} v_j``
(two layers; deeper nets stack step layers, each unit with its amplitude), trained by
full-batch SGD with ``ReduceLROnPlateau`` on the *same* weight-decay objective as the
convex programs (Ergen et al., eq. (3)/(11), divided by ``n``):

    (1/2n) ||f(X) - y||^2 + (beta/2) (sum ||W_l||^2 + ||b_l||^2 + ||s_l||^2 + ||v||^2).

The step has zero gradient almost everywhere, so the backward pass uses a surrogate
(:mod:`mixedopt.torch.rules`): ``"ste"`` (identity, Bengio et al. 2013), ``"relu"``
(Yin et al. 2019), ``"lrelu"`` (slope 0.01 below 0) or ``"crelu"`` (clipped to [0, 1], Cai
et al. 2017). The forward pass is the true step ``1{z >= 0}``.

Results are returned as :class:`mixedopt.ThresholdNet` (amplitudes folded into the next
layer's weights), with the objective re-evaluated by
:func:`mixedopt.convex.reconstruct.network_objective` — the rescaled form of
Lemma 2.1, i.e. the infimum of the objective above over rescalings of the same network — so
it is directly comparable with the convex programs' values (and never above the raw value).

Examples
--------
>>> import numpy as np
>>> from mixedopt.torch.baselines import train_heuristic
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(50, 3)); y = np.where(X[:, 0] > 0, 1, -1)
>>> res = train_heuristic(X, y, rule="ste", hidden=(20,), epochs=50, seed=0)
>>> res.objective <= res.raw_objective
True
"""

from __future__ import annotations

import copy
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.torch.activations import ThresholdActivation
from mixedopt.validation import check_positive, check_time_limit, check_X_y, encode_labels

__all__ = ["HEURISTICS", "INITS", "BaselineResult", "ThresholdMLP", "train_heuristic"]

logger = logging.getLogger(__name__)

#: heuristic name -> backward rule of :mod:`mixedopt.torch.rules`
HEURISTICS = {
    "ste": "ste",
    "relu": "relu-ste",
    "lrelu": "leaky-relu-ste",
    "crelu": "clipped-relu-ste",
}
INITS = ("default", "normal", "uniform")


class ThresholdMLP(nn.Module):
    """Step layers with per-unit trainable amplitudes, then a linear output without bias."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, rule: str) -> None:
        super().__init__()
        sizes = [n_in, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.amplitudes = nn.ParameterList(nn.Parameter(torch.ones(h)) for h in hidden)
        self.act = ThresholdActivation("step01", rule=rule)
        self.out = nn.Linear(sizes[-1], n_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer, amp in zip(self.layers, self.amplitudes, strict=True):
            x = self.act(layer(x)) * amp
        return self.out(x)

    def penalty(self) -> torch.Tensor:
        """``sum`` of squared weights, biases and amplitudes (the weight decay of (3)/(11))."""
        return sum(p.pow(2).sum() for p in self.parameters())  # type: ignore[return-value]


def _init(model: ThresholdMLP, init: str, gen: torch.Generator) -> None:
    if init == "default":
        return
    with torch.no_grad():
        for layer in [*model.layers, model.out]:
            fan_in = layer.weight.shape[1]
            if init == "normal":
                layer.weight.normal_(0.0, 1.0 / np.sqrt(fan_in), generator=gen)
                if layer.bias is not None:
                    layer.bias.normal_(0.0, 1.0 / np.sqrt(fan_in), generator=gen)
            else:
                layer.weight.uniform_(-1.0, 1.0, generator=gen)
                if layer.bias is not None:
                    layer.bias.uniform_(-1.0, 1.0, generator=gen)


@dataclass
class BaselineResult:
    """A heuristically trained threshold network and how it was obtained.

    Attributes
    ----------
    net : ThresholdNet
        Step hidden layers, amplitudes folded in; reads raw inputs.
    objective : float
        Rescaled objective of ``net`` (comparable with the convex programs).
    raw_objective : float
        The weight-decay objective of the trained parameters, as optimised.
    history : list of float
        Raw objective per epoch.
    """

    net: ThresholdNet
    objective: float
    raw_objective: float
    train_accuracy: float
    wall_time: float
    epochs: int
    rule: str
    lr: float
    beta: float
    seed: int | None
    init: str
    interrupted: bool = False
    history: list[float] = field(default_factory=list)


def _to_net(
    model: ThresholdMLP, mu: np.ndarray, sd: np.ndarray, classes: np.ndarray, meta: dict[str, Any]
) -> ThresholdNet:
    Ws = [layer.weight.detach().double().numpy().copy() for layer in model.layers]
    bs = [layer.bias.detach().double().numpy().copy() for layer in model.layers]
    amps = [a.detach().double().numpy() for a in model.amplitudes]
    Wout = model.out.weight.detach().double().numpy().copy()
    # standardisation into the first layer: w.(x - mu)/sd + b
    Ws[0] = Ws[0] / sd
    bs[0] = bs[0] - Ws[0] @ mu
    # amplitudes into the next layer's columns
    nxt = [*Ws[1:], Wout]
    for i, a in enumerate(amps):
        nxt[i] = nxt[i] * a[None, :]
    Ws[1:], Wout = nxt[:-1], nxt[-1]
    return ThresholdNet(
        [*Ws, Wout],
        [*bs, np.zeros(Wout.shape[0])],
        "step",
        output="sign" if Wout.shape[0] == 1 else "argmax",
        classes=classes,
        weight_domain="real",
        metadata=meta,
    )


def train_heuristic(
    X: Any,
    y: Any,
    *,
    rule: str = "ste",
    hidden: tuple[int, ...] | int = (1000,),
    beta: float = 1e-3,
    lr: float = 0.01,
    epochs: int = 2000,
    init: str = "default",
    seed: int | None = 0,
    patience: int = 10,
    lr_factor: float = 0.5,
    min_lr_ratio: float = 1e-4,
    time_limit: float | None = None,
    num_threads: int | None = 1,
    dtype: str = "float32",
) -> BaselineResult:
    """Train a threshold network with a straight-through heuristic (full batch SGD).

    Parameters
    ----------
    X : array-like (n, d)
        Inputs (standardised internally; the returned network reads raw inputs).
    y : array-like (n,)
        Labels; two classes use ±1 targets, more use the ±1 one-vs-rest code.
    rule : {"ste", "relu", "lrelu", "crelu"}
        Surrogate backward of the step (see :data:`HEURISTICS`).
    hidden : int or tuple of int
        Hidden widths (``(m,)`` for the paper's two-layer net, ``(m1, m2)`` for three).
    beta : float
        Weight decay on the normalised objective (the convex programs' ``beta``).
    lr : float
        Initial SGD learning rate; ``ReduceLROnPlateau(factor=lr_factor,
        patience=patience)`` on the training objective lowers it.
    epochs : int
        Full-batch steps; training stops earlier once the learning rate fell below
        ``lr * min_lr_ratio`` or ``time_limit`` passed.
    init : {"default", "normal", "uniform"}
        PyTorch's default init, ``N(0, 1/fan_in)``, or ``U(-1, 1)`` (weights and biases).
    seed : int, optional
        Seeds the initialisation.
    num_threads : int, optional
        torch threads during training (restored afterwards); None leaves them alone.
    dtype : {"float32", "float64"}
        Training precision (the returned network and its objective are float64).

    Returns
    -------
    BaselineResult
        The network with the lowest raw objective seen (best-so-far, also on Ctrl-C).
    """
    t0 = time.perf_counter()
    if rule not in HEURISTICS:
        raise ValidationError(f"rule must be one of {sorted(HEURISTICS)}, got {rule!r}.")
    if dtype not in ("float32", "float64"):
        raise ValidationError(f"dtype must be 'float32' or 'float64', got {dtype!r}.")
    if init not in INITS:
        raise ValidationError(f"init must be one of {INITS}, got {init!r}.")
    hid = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
    if not hid or any(isinstance(h, bool) or int(h) < 1 for h in hid):
        raise ValidationError(f"hidden must list positive widths, got {hidden!r}.")
    beta = float(check_positive(beta, name="beta"))
    lr = float(check_positive(lr, name="lr"))
    epochs = int(check_positive(epochs, name="epochs", integer=True))
    time_limit = check_time_limit(time_limit)
    Xa, ya = check_X_y(X, y, min_classes=2)
    Xa = Xa.astype(np.float64)
    classes, codes = encode_labels(ya)
    K = classes.size
    T = (
        np.where(codes == 1, 1.0, -1.0)
        if K == 2
        else np.where(codes[:, None] == np.arange(K), 1.0, -1.0)
    )
    mu = Xa.mean(axis=0)
    sd = Xa.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0 if seed is None else int(seed))
            model = ThresholdMLP(
                Xa.shape[1], tuple(int(h) for h in hid), 1 if K == 2 else K, HEURISTICS[rule]
            )
        _init(model, init, gen)
        tdtype = torch.float32 if dtype == "float32" else torch.float64
        model.to(tdtype)
        Xt = torch.from_numpy((Xa - mu) / sd).to(tdtype)
        Yt = torch.from_numpy(T.reshape(len(T), -1)).to(tdtype)
        n = Xt.shape[0]
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=lr_factor, patience=patience, eps=1e-12
        )
        history: list[float] = []
        best = (np.inf, copy.deepcopy(model.state_dict()))
        interrupted = False
        n_epochs = 0
        try:
            for epoch in range(1, epochs + 1):
                n_epochs = epoch
                opt.zero_grad()
                out = model(Xt)
                loss = 0.5 * (out - Yt).pow(2).sum() / n + 0.5 * beta * model.penalty()
                val = float(loss.detach())
                if not np.isfinite(val):  # diverged: keep the best so far
                    break
                history.append(val)
                if val < best[0]:
                    best = (val, copy.deepcopy(model.state_dict()))
                loss.backward()
                opt.step()
                sched.step(val)
                if opt.param_groups[0]["lr"] < lr * min_lr_ratio:
                    break
                if time_limit is not None and time.perf_counter() - t0 > time_limit:
                    break
        except KeyboardInterrupt:
            interrupted = True
        model.load_state_dict(best[1])
    finally:
        if num_threads is not None:
            torch.set_num_threads(old_threads)
    from mixedopt.convex.reconstruct import network_objective

    meta = {
        "trainer": "heuristic",
        "rule": rule,
        "beta": beta,
        "lr": lr,
        "init": init,
        "seed": seed,
        "epochs": n_epochs,
    }
    net = _to_net(model, mu, sd, classes, meta)
    obj = network_objective(net, Xa, T, beta, penalty="l1" if K == 2 else "group")
    acc = float(np.mean(net.predict_codes(Xa) == codes))
    return BaselineResult(
        net=net,
        objective=obj,
        raw_objective=float(best[0]),
        train_accuracy=acc,
        wall_time=time.perf_counter() - t0,
        epochs=n_epochs,
        rule=rule,
        lr=lr,
        beta=beta,
        seed=seed,
        init=init,
        interrupted=interrupted,
        history=history,
    )
