"""A Neural ODE of the observed Lorenz state, trained with the adjoint method (01, section 9).

    dx/dt = f_theta(x),    f_theta(x) = g (W_2 tanh(W_1 x + b_1) + b_2),    g = 5 (fixed)

``x`` is the standardised Lorenz state (3,), time in Lorenz time units.  Unlike the
CT-RNN of 01 (one Euler step per sample, a *map*), the model here is a *flow*: its
forecasts integrate ``f_theta`` with torchdiffeq's RK4 at the data's spacing ``dt = 0.02``
(one solver step per sample), and it is trained by integrating short windows of the data
and backpropagating through the solver, by the adjoint method (Chen et al. 2018) or,
for comparison, through ``odeint``'s graph or an explicit Euler loop.
"""

import numpy as np
import torch
from torch import nn

from . import evaluation
from ._adam import adam_loop
from .ctrnn import DATA_DT, standardised_splits

GRADIENT_METHODS = ("adjoint", "odeint", "euler")


class MLPField(nn.Module):
    """The vector field ``f(t, x)`` of an autonomous Neural ODE; ``x`` (..., d) -> (..., d).

    ``gain * (W2 tanh(W1 x + b1) + b2)``: one hidden layer of ``n_hidden`` tanh units and a
    fixed output gain (5: small weights give the speeds of the standardised Lorenz flow,
    a few units per time unit); ``t`` is ignored (torchdiffeq's signature).
    """

    def __init__(self, d=3, n_hidden=64, seed=0, gain=5.0):
        super().__init__()
        self.gain = float(gain)
        gen = torch.Generator().manual_seed(seed)
        self.W1 = nn.Parameter(torch.randn(n_hidden, d, generator=gen) / d ** 0.5)
        self.b1 = nn.Parameter((torch.rand(n_hidden, generator=gen) * 2 - 1))
        self.W2 = nn.Parameter(torch.randn(d, n_hidden, generator=gen) * (0.1 / n_hidden ** 0.5))
        self.b2 = nn.Parameter(torch.zeros(d))

    def forward(self, t, x):
        return self.gain * (torch.tanh(x @ self.W1.T + self.b1) @ self.W2.T + self.b2)


# ---- graded exercise -------------------------------------------------------------------


def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    """Mean squared error of a Neural ODE's trajectories over windows of data.

    ``func(t, x)`` is an ``nn.Module`` (the vector field); ``x_window`` (L, B, d) holds L
    consecutive samples ``dt`` apart (L >= 2).  Integrates from ``x_window[0]`` over the
    times ``k * dt``, k = 0..L-1 (in ``x_window``'s dtype), by one call of
    ``torchdiffeq.odeint`` (``odeint_adjoint`` when ``adjoint``) with ``method`` and default
    options, and returns the mean over samples 1..L-1, batch and dimensions of
    ``(x_hat - x_window)**2``: a 0-d tensor, differentiable in ``func``'s parameters.
    """
    import torchdiffeq
    L = x_window.shape[0]
    t = torch.arange(L, dtype=x_window.dtype, device=x_window.device) * dt
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    x_hat = solve(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)


# ---- ungraded helpers: training, generation, evaluation ------------------------------------


def euler_window_loss(func, x_window, dt):
    """As :func:`trajectory_loss`, with an explicit Euler loop (one step per sample)."""
    x, loss = x_window[0], 0.0
    for k in range(1, x_window.shape[0]):
        x = x + dt * func(None, x)
        loss = loss + torch.mean((x - x_window[k]) ** 2)
    return loss / (x_window.shape[0] - 1)


def window_loss(func, x_window, dt, gradient="adjoint"):
    """The loss of one batch of windows, by the gradient method named (``GRADIENT_METHODS``)."""
    if gradient == "euler":
        return euler_window_loss(func, x_window, dt)
    return trajectory_loss(func, x_window, dt, adjoint=(gradient == "adjoint"))


def train_neural_ode(series, gradient="adjoint", n_hidden=64, window=8, batch_size=64,
                     n_iter=1000, lr=2e-2, gain=5.0, dt=DATA_DT, seed=0, max_seconds=None,
                     progress=False):
    """Train an :class:`MLPField` on windows of a standardised series (T, d), as 01's
    notebook does (its defaults are the notebook's: the same seed gives the same field).

    Adam with a cosine-annealed learning rate, gradient clipping at norm 1; ``window``
    samples per window.  Returns ``(func, info)``: info has ``loss`` (list), ``seconds``,
    ``seconds_per_iter``, ``gradient``.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    func = MLPField(series.shape[-1], n_hidden, seed=seed, gain=gain).to(series.dtype)

    def batch_loss(i):
        starts = torch.randint(0, len(series) - window, (batch_size,), generator=gen)
        win = series[starts[:, None] + torch.arange(window)].transpose(0, 1)   # (L, B, d)
        loss = window_loss(func, win, dt, gradient)
        return loss, loss

    losses, seconds = adam_loop(
        func.parameters(), batch_loss, n_iter, lr, desc=f"training the Neural ODE ({gradient})",
        schedule=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_iter),
        max_seconds=max_seconds, progress=progress)
    return func, {"loss": losses, "seconds": seconds, "seconds_per_iter": seconds / len(losses),
                  "gradient": gradient}


@torch.no_grad()
def generate(func, x0, n_steps, dt=DATA_DT, integrator="rk4"):
    """Free-running forecasts from ``x0`` (B, d): ``(n_steps, B, d)``, one solver step per
    sample (``integrator`` ``"rk4"`` through torchdiffeq, or ``"euler"``)."""
    if integrator == "euler":
        x, out = x0, []
        for _ in range(n_steps):
            x = x + dt * func(None, x)
            out.append(x)
        return torch.stack(out)
    import torchdiffeq
    t = torch.arange(n_steps + 1, dtype=x0.dtype) * dt
    return torchdiffeq.odeint(func, x0, t, method="rk4")[1:]


def node_valid_prediction_times(func, series, n_starts=20, n_warmup=50, horizon=600,
                                data_dt=DATA_DT, threshold=0.5, integrator="rk4"):
    """Valid prediction times (Lyapunov times) of free-running forecasts from the starts of
    the shared protocol (``lib.ctrnn.valid_prediction_times``; a Neural ODE of the observed
    state needs no warm-up, the first ``n_warmup`` samples are skipped so the starts agree)."""
    starts = evaluation.protocol_starts(len(series), n_starts, n_warmup, horizon)
    pred = generate(func, series[starts], horizon, data_dt, integrator)
    return evaluation.forecast_vpts(pred, series, starts, data_dt, threshold)


def saved_bytes(func, x_window, dt, gradient):
    """Bytes autograd saves for the backward pass of one window loss (saved-tensor hooks)."""
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = window_loss(func, x_window, dt, gradient)
    loss.backward()
    return total[0]


def evaluate_neural_ode(func, task, split="test", integrator="rk4"):
    """One-step error and VPTs of a trained field on a split of the task (standardised)."""
    series = dict(zip(("train", "val", "test"), standardised_splits(task)))[split]
    one = generate(func, series[:-1], 1, integrator=integrator)[0]
    vpt = node_valid_prediction_times(func, series, integrator=integrator)
    return {"one_step_error": evaluation.one_step_error(one, series),
            "vpt_median": float(np.median(vpt)), "vpt": vpt}
