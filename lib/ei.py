"""Excitatory and inhibitory populations: Dale's law, the balanced state, an E/I RNN (02).

PyTorch; every function keeps the dtype and device of the tensors it is given (a function
given no tensor returns ``torch.get_default_dtype()`` on the CPU).

Neurons are ordered excitatory first: indices ``0..n_exc-1`` are E, the rest I.  ``W[i, j]``
is the synapse from presynaptic ``j`` to postsynaptic ``i``, so Dale's law is a sign per
column.

    tau_i dr_i/dt = -r_i + relu(sum_j W_ij r_j + (W_in x)_i + b_i),     y = readout(r_E)
"""

import math
import time

import numpy as np
import torch
from torch import nn

from . import evaluation
from ._adam import adam_loop
from .ctrnn import (DATA_DT, _windows, one_step_error, standardised_splits,
                    warm_up)

# ---- graded exercises -------------------------------------------------------------------


def dale_signs(n_exc, n_inh):
    """+1 for the ``n_exc`` excitatory neurons, then -1 for the ``n_inh`` inhibitory ones."""
    return torch.cat([torch.ones(n_exc), -torch.ones(n_inh)])


def apply_dale(W_raw, signs):
    """``abs(W_raw) * signs`` with column ``j`` getting ``signs[j]``; any ``W_raw`` obeys Dale."""
    return W_raw.abs() * signs.to(W_raw.dtype)


def balanced_weights(n_exc, n_inh, K, J, g, generator):
    """Sparse balanced connectivity (van Vreeswijk & Sompolinsky 1996), shape (N, N).

    Each row has exactly ``K`` E partners of weight ``J/sqrt(K)`` and ``K`` I partners of
    weight ``-g*J/sqrt(K)``, drawn without replacement with ``generator``, no autapses.
    """
    if not 1 <= K <= min(n_exc, n_inh) - 1:
        raise ValueError(f"K must satisfy 1 <= K <= min(n_exc, n_inh) - 1, got K={K}")
    N = n_exc + n_inh
    W = torch.zeros(N, N)
    w_e, w_i = J / math.sqrt(K), -g * J / math.sqrt(K)
    for i in range(N):
        for start, size, w in ((0, n_exc, w_e), (n_exc, n_inh, w_i)):
            cand = torch.arange(start, start + size)
            cand = cand[cand != i]
            pick = cand[torch.randperm(len(cand), generator=generator)[:K]]
            W[i, pick] = w
    return W


def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
    """Wilson-Cowan-type E/I rate equations (all ``W_**`` non-negative, input to E only)."""
    dr_E = (-r_E + phi(r_E @ W_EE.T - r_I @ W_EI.T + I_ext)) / tau_E
    dr_I = (-r_I + phi(r_E @ W_IE.T - r_I @ W_II.T)) / tau_I
    return dr_E, dr_I


def input_currents(W, r, I_ext):
    """(excitatory, inhibitory) input: positive part of ``W`` plus ``I_ext``, negative part."""
    exc = r @ W.clamp(min=0).T + I_ext
    inh = r @ W.clamp(max=0).T
    return exc, inh


def balance_index(exc, inh):
    """How much of each unit's excitation its inhibition cancels on average.

    ``exc``, ``inh``: (T, N) excitatory (> 0) and inhibitory input, time by units.  Per unit
    ``|mean_t(exc + inh)| / mean_t(exc)``, then the mean over units (a 0-dim tensor): 0 when
    excitation and inhibition cancel on average, 1 without inhibition.  Time-averaged
    first, so momentary fluctuations of the net input (which drive firing in the balanced
    state) and silent, hyperpolarised entries do not dominate the index."""
    return torch.mean(torch.abs((exc + inh).mean(dim=0)) / exc.mean(dim=0))


@torch.no_grad()
def init_eirnn(model, g=0.9, seed=None):
    """Initialisation of a model with the EIRNN contract's parameters (the 02 notebook hands
    out the same helper): ``|W_rec_raw|`` of mean ~ ``g/sqrt(N)`` with the I columns scaled
    so that E and I input balance on average (``n_exc * w_E = n_inh * w_I``), random input
    weights, slightly positive biases (active relu units), a small uniform readout.  Draws
    from its own generator when ``seed`` is given.  Returns the model."""
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    n_exc, n_inh = model.n_exc, model.n_inh
    N, n_in = model.W_in.shape
    n_out = model.readout.weight.shape[0]
    scale = torch.ones(N)
    scale[n_exc:] = n_exc / max(n_inh, 1)
    model.W_rec_raw.copy_(torch.rand(N, N, generator=gen) * (g / math.sqrt(N)) * scale[None, :])
    model.W_in.copy_(torch.randn(N, n_in, generator=gen) / math.sqrt(n_in))
    model.b.copy_(0.1 + 0.1 * torch.randn(N, generator=gen))
    model.readout.weight.copy_((torch.rand(n_out, n_exc, generator=gen) * 2 - 1) * (1 / math.sqrt(n_exc)))
    model.readout.bias.zero_()
    return model


class EIRNN(nn.Module):
    """Rate RNN with E and I units obeying Dale's law (Song, Yang & Wang 2016).

    Parameters ``W_rec_raw`` (N, N), ``W_in`` (N, n_in), ``b`` (N,), ``readout``
    (``nn.Linear(n_exc, n_out)``, reads the E rates only).  The effective recurrent matrix
    ``W_rec = apply_dale(W_rec_raw, dale_signs(n_exc, n_inh))`` with a zero diagonal keeps
    its column signs whatever value the optimiser gives ``W_rec_raw``.
    """

    def __init__(self, n_in, n_exc, n_inh, n_out, tau_E=0.06, tau_I=0.03, dt=DATA_DT,
                 g=0.9, seed=None):
        super().__init__()
        self.n_in, self.n_exc, self.n_inh, self.n_out = n_in, n_exc, n_inh, n_out
        self.tau_E, self.tau_I, self.dt = float(tau_E), float(tau_I), float(dt)
        N = n_exc + n_inh
        self.W_rec_raw = nn.Parameter(torch.empty(N, N))
        self.W_in = nn.Parameter(torch.empty(N, n_in))
        self.b = nn.Parameter(torch.empty(N))
        self.readout = nn.Linear(n_exc, n_out)
        init_eirnn(self, g, seed)

    @property
    def W_rec(self):
        W = apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh))
        N = W.shape[0]
        return W * (1 - torch.eye(N, dtype=W.dtype, device=W.device))

    def tau(self, like):
        """Per-unit time constants (N,) in the dtype of ``like``."""
        return torch.cat([torch.full((self.n_exc,), self.tau_E),
                          torch.full((self.n_inh,), self.tau_I)]).to(like)

    def step(self, r, x, W_rec=None, tau=None):
        """One Euler step of the rate equations with input ``x``."""
        W_rec = self.W_rec if W_rec is None else W_rec
        tau = self.tau(r) if tau is None else tau
        drive = torch.relu(r @ W_rec.T + x @ self.W_in.T + self.b)
        return r + self.dt / tau * (-r + drive)

    def forward(self, x_seq, r0=None):
        T, B = x_seq.shape[0], x_seq.shape[1]
        N = self.n_exc + self.n_inh
        r = r0 if r0 is not None else x_seq.new_zeros(B, N)
        W_rec, tau = self.W_rec, self.tau(x_seq)
        rs = []
        for t in range(T):
            r = self.step(r, x_seq[t], W_rec, tau)
            rs.append(r)
        r_seq = torch.stack(rs) if rs else x_seq.new_zeros(0, B, N)
        return self.readout(r_seq[..., :self.n_exc]), r_seq


def ei_closed_loop(model, x0, r0, n_steps):
    """Free-running generation of an :class:`EIRNN`; outputs (n_steps, B, n_out)."""
    n_exc, n_inh = model.n_exc, model.n_inh
    W_rec = model.W_rec
    tau = torch.cat([torch.full((n_exc,), float(model.tau_E)),
                     torch.full((n_inh,), float(model.tau_I))]).to(r0)
    r, x = r0, x0
    outs = []
    for _ in range(n_steps):
        r = r + model.dt / tau * (-r + torch.relu(r @ W_rec.T + x @ model.W_in.T + model.b))
        x = model.readout(r[..., :n_exc])
        outs.append(x)
    if not outs:
        return x0.new_zeros((0,) + tuple(x0.shape[:-1]) + (model.readout.out_features,))
    return torch.stack(outs)


# ---- ungraded helpers: the balanced state ------------------------------------------------


def ei_blocks(W, n_exc):
    """Split a signed Dale matrix into the non-negative blocks W_EE, W_EI, W_IE, W_II."""
    return (W[:n_exc, :n_exc], -W[:n_exc, n_exc:], W[n_exc:, :n_exc], -W[n_exc:, n_exc:])


def simulate_balanced(n_exc=400, n_inh=100, K=50, J=0.5, g=2.0, I0=1.0, tau_E=0.02,
                      tau_I=0.01, dt=0.001, n_steps=1000, seed=0, dtype=torch.float64):
    """Euler simulation of the untrained balanced network driven by ``I_ext = I0``.

    External drive goes to E only (as in :func:`ei_rate_rhs`); each neuron gets its own
    drive ``I0 * (1 + 0.2 * xi)`` with ``xi`` standard normal.  Returns a dict with
    ``t`` (n_steps+1,), ``rates`` (n_steps+1, N), ``exc``, ``inh`` (n_steps+1, N)
    input currents, ``I_ext`` (N,) and ``W``.
    """
    gen = torch.Generator().manual_seed(seed)
    W = balanced_weights(n_exc, n_inh, K, J, g, gen).to(dtype)
    W_EE, W_EI, W_IE, W_II = ei_blocks(W, n_exc)
    I_E = I0 * (1 + 0.2 * torch.randn(n_exc, generator=gen, dtype=dtype))
    I_ext = torch.cat([I_E, torch.zeros(n_inh, dtype=dtype)])
    r = 0.5 * torch.rand(n_exc + n_inh, generator=gen, dtype=dtype)
    rates = [r]
    for _ in range(n_steps):
        dr_E, dr_I = ei_rate_rhs(r[:n_exc], r[n_exc:], W_EE, W_EI, W_IE, W_II, I_E,
                                 tau_E, tau_I)
        r = r + dt * torch.cat([dr_E, dr_I])
        rates.append(r)
    rates = torch.stack(rates)
    exc, inh = input_currents(W, rates, I_ext)
    return {"t": torch.arange(n_steps + 1, dtype=dtype) * dt, "rates": rates, "exc": exc,
            "inh": inh, "I_ext": I_ext, "W": W}


def balance_sweep(Ks, n_discard=500, **kwargs):
    """Balance index over the second part of a :func:`simulate_balanced` run, per ``K``.

    Units whose mean excitatory input is not positive are excluded (none with ``I0 > 0``).
    Returns a NumPy array of the same length as ``Ks``.
    """
    out = []
    for K in Ks:
        sim = simulate_balanced(K=K, **kwargs)
        exc, inh = sim["exc"][n_discard:], sim["inh"][n_discard:]
        units = exc.mean(dim=0) > 0
        out.append(float(balance_index(exc[:, units], inh[:, units])))
    return np.array(out)


# ---- ungraded helpers: training and evaluation -------------------------------------------


def sign_consistency(model):
    """Fraction of off-diagonal recurrent weights whose sign agrees with their column."""
    W = model.W_rec.detach()
    signs = dale_signs(model.n_exc, model.n_inh).to(W.dtype)
    off = ~torch.eye(W.shape[0], dtype=torch.bool)
    ok = (W * signs[None, :]) >= 0
    return float(ok[off].float().mean())


def train_rollout(model, series, n_iter=1500, batch_size=32, burn_in=15, rollout=25,
                  lr=4e-3, alpha_frac=0.6, tf_weight=2.0, tf_skip=5, seed=0,
                  max_seconds=None, progress=False, balance_weight=0.0):
    """Train any model with the :class:`EIRNN` interface on a standardised series (T, d).

    The scheme of 01: windows of ``burn_in + rollout + 1`` samples; the first ``burn_in``
    are teacher forced (their one-step predictions after ``tf_skip`` steps add a loss with
    weight ``tf_weight``); the next ``rollout`` steps use generalised teacher forcing
    ``alpha * true + (1 - alpha) * prediction`` with ``alpha`` annealed linearly from 1 to 0
    over the first ``alpha_frac`` of the iterations.  Adam, one-cycle learning rate,
    gradient clipping at norm 1.  Uses only ``model(x_seq, r0)``.  Returns the losses.

    ``balance_weight > 0`` adds ``balance_weight * balance_penalty(...)`` on the teacher-forced
    burn-in (rates before each step and that step's input; needs an :class:`EIRNN`-like model
    with ``W_rec``, ``W_in``, ``b``); at 0 (the default) nothing is computed and training is
    unchanged.  The returned losses never include the penalty.
    """
    gen = torch.Generator().manual_seed(seed)
    L = burn_in + rollout + 1

    def batch_loss(i):
        alpha = max(0.0, 1.0 - i / (alpha_frac * n_iter))
        starts = torch.randint(0, len(series) - L, (batch_size,), generator=gen)
        win = _windows(series, starts, L)                       # (L, B, d)
        ys, rs = model(win[:burn_in])
        tf_loss = torch.mean((ys[tf_skip:] - win[tf_skip + 1:burn_in + 1]) ** 2)
        r, x, preds = rs[-1], win[burn_in], []
        for k in range(rollout):
            y, r_next = model(x[None], r)
            r, y = r_next[0], y[0]
            preds.append(y)
            x = alpha * win[burn_in + k + 1] + (1 - alpha) * y
        loss = torch.mean((torch.stack(preds) - win[burn_in + 1:]) ** 2) + tf_weight * tf_loss
        if balance_weight > 0:
            # rates before step t (rs[t-1]) meet the input of step t (win[t]), t = 1..burn_in-1
            return loss + balance_weight * balance_penalty(model, rs[:-1], win[1:burn_in]), loss
        return loss, loss

    losses, _ = adam_loop(
        model.parameters(), batch_loss, n_iter, lr, desc="training EIRNN",
        schedule=lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=n_iter, pct_start=0.1),
        max_seconds=max_seconds, progress=progress)
    return losses


# ---- ungraded helpers: balance of a trained network ------------------------------------

ACTIVE_EPS = 1e-6        # a unit counts in the balance index when its mean recurrent excitation exceeds this
PENALTY_EPS = 0.1        # floor of the excitation in the training penalty's denominator


def recurrent_and_external(model, r, x):
    """The three inputs of every unit of an :class:`EIRNN` for one step: recurrent
    excitation (``W_rec > 0``, >= 0), recurrent inhibition (``W_rec < 0``, <= 0) and the
    signed feed-forward drive ``x @ W_in.T + b``, which is neither (its weights obey no
    sign constraint).  ``r`` (..., N) rates before the step, ``x`` (..., n_in) its input."""
    exc, inh = input_currents(model.W_rec, r, torch.zeros_like(r))
    return exc, inh, x @ model.W_in.T + model.b


def balance_penalty(model, r, x, eps=PENALTY_EPS):
    """Differentiable surrogate of :func:`trained_balance`'s index for training: per unit,
    ``|mean(net input)| / (mean(recurrent excitation) + eps)`` over all leading dimensions
    of ``r`` (..., N) and ``x`` (..., n_in) (the samples of a batch stand in for time), then
    the mean over units (:func:`recurrent_and_external`).  ``eps`` keeps nearly unexcited
    units from dominating the gradient."""
    exc, inh, ext = recurrent_and_external(model, r, x)
    N = exc.shape[-1]
    exc, net = exc.reshape(-1, N), (exc + inh + ext).reshape(-1, N)
    return torch.mean(torch.abs(net.mean(dim=0)) / (exc.mean(dim=0) + eps))


@torch.no_grad()
def trained_balance(model, series, n_warmup=50):
    """Balance of a trained :class:`EIRNN` on the task input (teacher forced).

    ``series`` (T, n_in) (standardised units) is fed from zero rates; for every step
    ``t = n_warmup .. T-2`` the rates before the step and its input ``series[t]`` give the
    three inputs of :func:`recurrent_and_external`.  The signed feed-forward drive is
    counted apart: it is part of the net input but neither excitation nor inhibition, so
    the index is :func:`balance_index` of the recurrent excitation against the recurrent
    inhibition plus the drive, ``|mean_t(net input)| / mean_t(recurrent excitation)`` per
    unit, averaged over the units whose mean recurrent excitation exceeds ``ACTIVE_EPS``.
    Returns a dict of floats: ``balance_index``, the mean recurrent excitation
    ``exc_mean``, inhibition ``inh_mean`` (<= 0) and drive ``ext_mean`` over those units,
    the same per population (``exc_mean_E`` ... ``ext_mean_I``), ``net_mean`` and
    ``active_fraction`` (share of units counted).
    """
    _, rs = model(series[:-1].unsqueeze(1))                     # rs[t]: rates after input t
    r = rs[n_warmup - 1:-1, 0]                                   # (T - 1 - n_warmup, N)
    x = series[n_warmup:-1]
    exc, inh, ext = recurrent_and_external(model, r, x)
    active = exc.mean(dim=0) > ACTIVE_EPS                        # (N,)
    out = {"balance_index": float(balance_index(exc[:, active], (inh + ext)[:, active])),
           "exc_mean": float(exc[:, active].mean()), "inh_mean": float(inh[:, active].mean()),
           "ext_mean": float(ext[:, active].mean()),
           "net_mean": float((exc + inh + ext)[:, active].mean()),
           "active_fraction": float(active.float().mean())}
    n_exc = model.n_exc
    for pop, sl in (("E", slice(0, n_exc)), ("I", slice(n_exc, None))):
        a = active[sl]
        for key, cur in (("exc", exc), ("inh", inh), ("ext", ext)):
            out[f"{key}_mean_{pop}"] = float(cur[:, sl][:, a].mean()) if a.any() else float("nan")
    return out


def train_eirnn(task, seed=0, n_exc=128, n_inh=32, tau_E=0.06, tau_I=0.03, dt=DATA_DT,
                progress=False, model_class=None, **train_kwargs):
    """Build an :class:`EIRNN` (3 inputs, 3 outputs; or ``model_class``, a class with its
    constructor, e.g. 05's network without Dale's law) and train it with
    :func:`train_rollout` on the task's standardised training split.  Deterministic for a
    given ``seed``.

    Returns ``(model, info)``: info has ``loss`` (list), ``seconds``, ``config``.
    """
    torch.manual_seed(seed)
    train, _, _ = standardised_splits(task)
    model = (model_class or EIRNN)(3, n_exc, n_inh, 3, tau_E=tau_E, tau_I=tau_I, dt=dt, seed=seed)
    t0 = time.perf_counter()
    losses = train_rollout(model, train, seed=seed, progress=progress, **train_kwargs)
    info = {"loss": losses, "seconds": time.perf_counter() - t0,
            "config": {"n_in": 3, "n_exc": n_exc, "n_inh": n_inh, "n_out": 3,
                       "tau_E": tau_E, "tau_I": tau_I, "dt": dt}}
    return model, info


BALANCED_G = 0.9          # initial recurrent gain of the balanced recipe (02's Exercise 6; train_eirnn's)
BALANCED_WEIGHT = 1.0     # weight of the balance penalty in the balanced variant's loss


def train_balanced_eirnn(task, seed=0, g=BALANCED_G, balance_weight=BALANCED_WEIGHT,
                         n_exc=128, n_inh=32, tau_E=0.06, tau_I=0.03, dt=DATA_DT,
                         progress=False, **train_kwargs):
    """A trained :class:`EIRNN` kept in the balanced state by a penalty on its currents.

    As :func:`train_eirnn` (same initialisation, task split, schedule and defaults; extra
    keyword arguments go to :func:`train_rollout`) plus :func:`balance_penalty` with weight
    ``balance_weight`` in the loss, in the spirit of Ingrosso & Abbott (2019), who keep a
    trained network balanced by constraining its currents.  ``g`` is the initial gain of
    :func:`init_eirnn`: strong ``1/sqrt(N)``-scaled weights are the other route to balance,
    but with these time constants (``dt/tau_I = 0.67``) the Euler-stepped network diverges
    from initialisation already for ``g`` of about 1.5, so the default keeps 0.9.

    Returns ``(model, info)`` with info's ``loss`` (task loss only), ``seconds`` and
    ``config`` (which also records ``g`` and ``balance_weight``).
    """
    torch.manual_seed(seed)
    train, _, _ = standardised_splits(task)
    model = EIRNN(3, n_exc, n_inh, 3, tau_E=tau_E, tau_I=tau_I, dt=dt, g=g, seed=seed)
    t0 = time.perf_counter()
    losses = train_rollout(model, train, seed=seed, progress=progress,
                           balance_weight=balance_weight, **train_kwargs)
    info = {"loss": losses, "seconds": time.perf_counter() - t0,
            "config": {"n_in": 3, "n_exc": n_exc, "n_inh": n_inh, "n_out": 3,
                       "tau_E": tau_E, "tau_I": tau_I, "dt": dt, "g": g,
                       "balance_weight": balance_weight}}
    return model, info


# an EIRNN has the CT-RNN's interface (forward(x_seq, r0) -> (y_seq, r_seq)): the same
# warm-up and one-step error
ei_warm_up = warm_up
ei_one_step_error = one_step_error


@torch.no_grad()
def ei_valid_prediction_times(model, series, n_starts=20, n_warmup=50, horizon=600,
                              data_dt=DATA_DT, threshold=0.5):
    """Closed-loop valid prediction times (Lyapunov times) from evenly spaced starts."""
    starts = evaluation.protocol_starts(len(series), n_starts, n_warmup, horizon)
    r0 = torch.cat([ei_warm_up(model, series, int(s), n_warmup) for s in starts])
    pred = ei_closed_loop(model, series[starts], r0, horizon)
    return evaluation.forecast_vpts(pred, series, starts, data_dt, threshold)


def evaluate_eirnn(model, task, split="test", n_starts=20, n_warmup=50, horizon=600):
    """Quality figures of a trained EIRNN on a split of the task (standardised units)."""
    series = dict(zip(("train", "val", "test"), standardised_splits(task)))[split]
    vpt = ei_valid_prediction_times(model, series, n_starts=n_starts, n_warmup=n_warmup,
                                    horizon=horizon)
    return {"one_step_error": ei_one_step_error(model, series, n_warmup),
            "vpt_median": float(np.median(vpt)), "vpt_mean": float(np.mean(vpt)),
            "vpt_min": float(np.min(vpt)), "vpt": vpt,
            "sign_consistency": sign_consistency(model)}
