"""Continuous-time RNN, its Euler and Neural-ODE integration, closed-loop generation (01).

PyTorch; every function keeps the dtype and device of the tensors it is given.

    tau dh/dt = -h + tanh(W_rec h + W_in x + b),      y = readout(h)

One Euler step of size ``dt`` per data sample.  In this course the model's time unit is
the data's: ``dt = 0.02`` time units per sample (one sample of the Lorenz task), so
``tau`` is a membrane time constant in Lorenz time units.
"""

import copy
import math
import time

import numpy as np
import torch
from torch import nn

from . import evaluation
from ._adam import adam_loop
from .task import DT as DATA_DT, LAMBDA_1

# ---- graded exercises -------------------------------------------------------------------


def ctrnn_rhs(h, x, W_rec, W_in, b, tau):
    """dh/dt = (-h + tanh(h @ W_rec.T + x @ W_in.T + b)) / tau; shape of ``h``."""
    return (-h + torch.tanh(h @ W_rec.T + x @ W_in.T + b)) / tau


def euler_step(h, x, W_rec, W_in, b, tau, dt):
    """One forward-Euler step of :func:`ctrnn_rhs` with step ``dt``."""
    return h + dt * ctrnn_rhs(h, x, W_rec, W_in, b, tau)


@torch.no_grad()
def init_ctrnn(model, rho=0.5, input_scale=0.5, bias_scale=0.5, seed=None):
    """Reservoir-style initialisation of a model with the CTRNN contract's parameters (the
    01 notebook hands out the same helper): ``W_rec`` of spectral radius ``rho``, ``W_in``
    scaled by ``input_scale / sqrt(n_in)``, ``b`` uniform in ``(-bias_scale, bias_scale)``
    (so that the tanh features are not all odd functions of the input), a small uniform
    readout and zero readout bias.  Draws from its own generator when ``seed`` is given.
    Returns the model."""
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    N, n_in = model.W_in.shape
    n_out = model.readout.weight.shape[0]
    W = torch.randn(N, N, generator=gen)
    model.W_rec.copy_(W * (rho / torch.linalg.eigvals(W).abs().max()))
    model.W_in.copy_(torch.randn(N, n_in, generator=gen) * (input_scale / math.sqrt(n_in)))
    model.b.copy_((torch.rand(N, generator=gen) * 2 - 1) * bias_scale)
    model.readout.weight.copy_((torch.rand(n_out, N, generator=gen) * 2 - 1) * (1 / math.sqrt(N)))
    model.readout.bias.zero_()
    return model


class CTRNN(nn.Module):
    """Continuous-time RNN integrated by one Euler step per input sample.

    Parameters ``W_rec`` (N, N), ``W_in`` (N, n_in), ``b`` (N,), ``readout``
    (``nn.Linear(N, n_out)``); attributes ``tau`` and ``dt`` (floats).
    """

    def __init__(self, n_in, n_hidden, n_out, tau=0.04, dt=DATA_DT, **init):
        """``init``: keyword arguments of :func:`init_ctrnn` (``rho``, ``input_scale``,
        ``bias_scale``, ``seed``)."""
        super().__init__()
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.tau, self.dt = float(tau), float(dt)
        self.W_rec = nn.Parameter(torch.empty(n_hidden, n_hidden))
        self.W_in = nn.Parameter(torch.empty(n_hidden, n_in))
        self.b = nn.Parameter(torch.empty(n_hidden))
        self.readout = nn.Linear(n_hidden, n_out)
        init_ctrnn(self, **init)

    def step(self, h, x):
        return euler_step(h, x, self.W_rec, self.W_in, self.b, self.tau, self.dt)

    def forward(self, x_seq, h0=None):
        T, B = x_seq.shape[0], x_seq.shape[1]
        h = h0 if h0 is not None else x_seq.new_zeros(B, self.n_hidden)
        hs = []
        for t in range(T):
            h = self.step(h, x_seq[t])
            hs.append(h)
        h_seq = torch.stack(hs) if hs else x_seq.new_zeros(0, B, self.n_hidden)
        return self.readout(h_seq), h_seq


class _CTRNNField(nn.Module):
    """The CT-RNN vector field with the input held constant (for torchdiffeq)."""

    def __init__(self, model, x):
        super().__init__()
        self.model = model
        self.x = x

    def forward(self, t, h):
        m = self.model
        return ctrnn_rhs(h, self.x, m.W_rec, m.W_in, m.b, m.tau)


def ctrnn_ode_step(model, h, x, dt, method="rk4", adjoint=False):
    """h(dt) of dh/dt = ctrnn_rhs(h, x, ...) from h(0) = h, x constant, by torchdiffeq."""
    import torchdiffeq
    field = _CTRNNField(model, x)
    t = torch.tensor([0.0, float(dt)], dtype=h.dtype, device=h.device)
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    return solve(field, h, t, method=method)[-1]


def closed_loop(model, x0, h0, n_steps):
    """Free-running generation: feed each output back as the next input; (n_steps, B, n_out)."""
    h, x = h0, x0
    outs = []
    for _ in range(n_steps):
        h = euler_step(h, x, model.W_rec, model.W_in, model.b, model.tau, model.dt)
        x = model.readout(h)
        outs.append(x)
    if not outs:
        return x0.new_zeros((0,) + tuple(x0.shape[:-1]) + (model.readout.out_features,))
    return torch.stack(outs)


def prediction_error(pred, true, std):
    """Per-step normalised error sqrt(mean_last_axis(((pred - true) / std)**2))."""
    return torch.sqrt(torch.mean(((pred - true) / std) ** 2, dim=-1))


def valid_prediction_time(pred, true, std, dt, threshold=0.5, lyapunov_exponent=LAMBDA_1):
    """Leading steps with error <= threshold, times dt, in Lyapunov times."""
    err = prediction_error(pred, true, std)
    bad = torch.nonzero(err > threshold)
    n = int(bad[0, 0]) if len(bad) else int(err.shape[0])
    return n * dt * lyapunov_exponent


# ---- ungraded helpers: training and evaluation -------------------------------------------


def _as_tensor(a, dtype=torch.float32):
    return torch.as_tensor(np.asarray(a), dtype=dtype)


def standardised_splits(task, dtype=torch.float32):
    """(train, val, test) of the task as standardised tensors."""
    mean, std = np.asarray(task["train_mean"]), np.asarray(task["train_std"])
    return tuple(_as_tensor((np.asarray(task[k]) - mean) / std, dtype)
                 for k in ("train", "val", "test"))


def _windows(series, starts, length):
    idx = starts[:, None] + torch.arange(length)[None, :]
    return series[idx].transpose(0, 1)  # (length, B, d)


def train_ctrnn(task, seed=0, n_hidden=128, tau=0.04, dt=DATA_DT, n_iter=600,
                batch_size=32, burn_in=20, rollout=30, lr=1e-4, alpha_start=1.0,
                alpha_end=0.1, alpha_frac=0.6, teacher_forcing_only=False,
                ridge_init=True, ridge_final=True, ridge=1e-6, max_seconds=None,
                progress=False):
    """Train a CT-RNN on the task's standardised training split.

    Each batch holds windows of ``burn_in + rollout`` samples.  The first ``burn_in``
    samples only set the hidden state (teacher forced, no loss); during the next
    ``rollout`` steps the input is generalized teacher forcing (Hess et al. 2023),
    ``alpha * true + (1 - alpha) * previous prediction``, with ``alpha`` annealed linearly
    from ``alpha_start`` to ``alpha_end`` over the first ``alpha_frac`` of training.
    ``teacher_forcing_only=True`` keeps ``alpha = 1`` (one-step training).
    Returns ``(model, info)``: info has ``loss`` (list), ``seconds``, ``config``.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train, val, _ = standardised_splits(task)
    model = CTRNN(3, n_hidden, 3, tau=tau, dt=dt, seed=seed)
    if ridge_init:
        fit_readout(model, train, ridge)
    L = burn_in + rollout + 1

    def batch_loss(i):
        if teacher_forcing_only:
            alpha = 1.0
        else:
            frac = min(1.0, i / max(1, alpha_frac * n_iter))
            alpha = alpha_start + (alpha_end - alpha_start) * frac
        starts = torch.randint(0, len(train) - L, (batch_size,), generator=gen)
        win = _windows(train, starts, L)                       # (L, B, 3)
        with torch.no_grad():
            _, hs = model(win[:burn_in])
        h = hs[-1] if burn_in > 0 else win.new_zeros(batch_size, n_hidden)
        x = win[burn_in]
        preds = []
        for k in range(rollout):
            h = model.step(h, x)
            y = model.readout(h)
            preds.append(y)
            true_next = win[burn_in + k + 1]
            x = alpha * true_next + (1 - alpha) * y if alpha < 1 else true_next
        loss = torch.mean((torch.stack(preds) - win[burn_in + 1:]) ** 2)
        return loss, loss

    t0 = time.perf_counter()
    losses, _ = adam_loop(
        model.parameters(), batch_loss, n_iter, lr, desc="training CT-RNN",
        schedule=lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=max(n_iter, 1), pct_start=0.1),
        max_seconds=max_seconds, progress=progress)
    if ridge_final:
        fit_readout(model, train, ridge)
    info = {"loss": losses, "seconds": time.perf_counter() - t0,
            "config": {"n_in": 3, "n_hidden": n_hidden, "n_out": 3, "tau": tau, "dt": dt}}
    return model, info


@torch.no_grad()
def fit_readout(model, series, ridge=1e-6, n_warmup=50):
    """Least-squares (ridge) fit of the readout to the next state, teacher forced.

    Solved in float64; the bias is not penalised.  Modifies ``model`` (a helper, not an
    exercise) and returns it.
    """
    s = series.to(torch.float64)
    dtype = model.W_rec.dtype
    model.double()
    _, hs = model(s[:-1].unsqueeze(1))
    model.to(dtype)
    H = hs[n_warmup:, 0]
    Y = s[1 + n_warmup:]
    Hb = torch.cat([H, torch.ones(len(H), 1, dtype=H.dtype)], 1)
    pen = torch.ones(Hb.shape[1], dtype=H.dtype)
    pen[-1] = 0
    Wb = torch.linalg.solve(Hb.T @ Hb + ridge * torch.diag(pen), Hb.T @ Y)
    model.readout.weight.copy_(Wb[:-1].T.to(dtype))
    model.readout.bias.copy_(Wb[-1].to(dtype))
    return model


@torch.no_grad()
def warm_up(model, series, start, n_warmup):
    """Hidden state after teacher forcing ``series[start - n_warmup : start]``; (1, N)."""
    seq = series[start - n_warmup:start].unsqueeze(1)
    _, hs = model(seq)
    return hs[-1]


@torch.no_grad()
def one_step_error(model, series, n_warmup=50):
    """Mean normalised one-step error (standardised units, std = 1) after a warm-up."""
    y, _ = model(series[:-1].unsqueeze(1))
    return evaluation.one_step_error(y[:, 0], series, n_warmup)


@torch.no_grad()
def valid_prediction_times(model, series, n_starts=20, n_warmup=50, horizon=600,
                           data_dt=DATA_DT, threshold=0.5):
    """Closed-loop valid prediction times (Lyapunov times) from evenly spaced starts."""
    starts = evaluation.protocol_starts(len(series), n_starts, n_warmup, horizon)
    hs = torch.cat([warm_up(model, series, int(s), n_warmup) for s in starts])
    pred = closed_loop(model, series[starts], hs, horizon)       # (horizon, n, 3)
    return evaluation.forecast_vpts(pred, series, starts, data_dt, threshold)


@torch.no_grad()
def largest_lyapunov(model, series, n_steps=20000, n_warmup=50, renorm=10, eps=1e-6,
                     data_dt=DATA_DT, n_transient=500):
    """Largest Lyapunov exponent of the free-running model (two-trajectory estimate).

    Closed-loop state is ``(h, x)``; a perturbed copy is renormalised to distance ``eps``
    every ``renorm`` steps.  Returned per unit of data time.
    """
    model = copy.deepcopy(model).double()   # never change the caller's model
    s = series.double()
    h = warm_up(model, s, n_warmup, n_warmup)
    x = s[n_warmup:n_warmup + 1]

    def step(h, x):
        h = model.step(h, x)
        return h, model.readout(h)

    for _ in range(n_transient):
        h, x = step(h, x)
    gen = torch.Generator().manual_seed(0)
    d = torch.randn(1, h.shape[1] + x.shape[1], generator=gen, dtype=h.dtype)
    d = d / d.norm() * eps
    h2, x2 = h + d[:, :h.shape[1]], x + d[:, h.shape[1]:]
    total, n_blocks = 0.0, n_steps // renorm
    for _ in range(n_blocks):
        for _ in range(renorm):
            h, x = step(h, x)
            h2, x2 = step(h2, x2)
        diff = torch.cat([h2 - h, x2 - x], dim=1)
        dist = float(diff.norm())
        total += math.log(dist / eps)
        h2, x2 = h + diff[:, :h.shape[1]] * (eps / dist), x + diff[:, h.shape[1]:] * (eps / dist)
    return total / (n_blocks * renorm * data_dt)


def evaluate_model(model, task, split="test", n_starts=20, n_warmup=50, horizon=600,
                   lyapunov=True):
    """Quality figures of a trained CT-RNN on a split of the task (standardised units)."""
    train, val, test = standardised_splits(task)
    series = {"train": train, "val": val, "test": test}[split]
    vpt = valid_prediction_times(model, series, n_starts=n_starts, n_warmup=n_warmup,
                                 horizon=horizon)
    out = {"one_step_error": one_step_error(model, series, n_warmup),
           "vpt_median": float(np.median(vpt)), "vpt_mean": float(np.mean(vpt)),
           "vpt_min": float(np.min(vpt)), "vpt": vpt}
    if lyapunov:
        out["max_lyapunov"] = largest_lyapunov(model, train)
    return out
