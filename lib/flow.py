"""01's CT-RNN run in continuous time: a flow closed on its own readout, trained through
``torchdiffeq.odeint_adjoint``.

    tau dh/dt = -h + tanh(W h + U x + b),        y = C h + c

* **driven** (warm-up): ``x(t)`` is the standardised Lorenz state, interpolated between
  samples by cubic Hermite pieces with central-difference slopes (Catmull-Rom), so that the
  drive is as smooth as the closed loop's own input (linear interpolation gives the driven
  states a kink at every sample that the closed loop never has, and the readout fitted on
  them forecasts less long: measured at the former tau 0.15 and ridge 1e-6, seeds 0-2,
  readout-only median VPT 2.4-2.6 Lyapunov times with linear pieces, 3.6-3.9 with these);
* **closed** (forecasting): ``x = y = C h + c``, so that
  ``tau dh/dt = -h + tanh((W + U C) h + U c + b)`` is an autonomous flow on R^N.

Units: ``tau`` in Lorenz time units; inside the solvers time is counted in *samples*
(one sample = ``DT``), so sample times are integers and the fields are multiplied by ``DT``.
RK4 with ``steps_per_sample`` steps per sample: 1 for training, 2 for forecasts (halving
the step again moves forecasts by about 2e-4 in the first Lyapunov time,
``tests/science/test_flow.py``).  Shapes: ``N`` units, ``B`` batch, ``L`` samples, ``d = 3``.

Recipe (Lu, Hunt & Ott 2018, Chaos 28, then adjoint fine-tuning): a reservoir
initialisation (:class:`FlowCTRNN`), a ridge readout on driven states
(:func:`fit_flow_readout`: the readout-only network), then every weight trained on
closed-loop windows (:func:`train_flow`, gradients from :func:`closed_window_loss`).
01 carries the same code as given code; its graded lines are the reference
:func:`closed_window_loss`'s two.
"""

import copy
import math
import time

import torch
import torchdiffeq
from torch import nn

from . import evaluation
from .task import DT

N_HIDDEN = 150
TAU = 0.05              # Lorenz time units (2.5 samples)
RHO = 0.2               # spectral radius of the initial W
INPUT_SCALE = 0.5       # U uniform in +-INPUT_SCALE
RIDGE = 1e-8            # the readout's ridge penalty per sample
N_DRIVE = 50            # warm-up samples before every training window, as the protocol's
WINDOW = 60             # closed-loop samples per training window (about one Lyapunov time)
N_ITER = 200            # Adam steps
LR = 3e-5               # Adam's learning rate (W's: LR / sqrt(N))
FORECAST_STEPS = 2      # RK4 steps per sample in forecasts and analysis
DERIVATIVE_WEIGHT = 0.05  # time units (= TAU): the optional readout's fit to the data's rate of change


class FlowCTRNN(nn.Module):
    """Parameters ``W`` (N, N), ``U`` (N, d), ``b`` (N,), ``C`` (d, N), ``c`` (d,); float
    attribute ``tau``; buffer ``h_init`` (N,), the state every warm-up starts from (set by
    :func:`fit_flow_readout`).  Initialised as a reservoir: ``W`` Gaussian rescaled to
    spectral radius ``rho``, ``U`` and ``b`` uniform, ``C = c = 0``; own generator."""

    def __init__(self, n_hidden=N_HIDDEN, d=3, tau=TAU, rho=RHO, input_scale=INPUT_SCALE, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        W = torch.randn(n_hidden, n_hidden, generator=g, dtype=torch.float64)
        self.W = nn.Parameter((W * rho / torch.linalg.eigvals(W).abs().max()).float())
        self.U = nn.Parameter((torch.rand(n_hidden, d, generator=g) * 2 - 1) * input_scale)
        self.b = nn.Parameter(torch.rand(n_hidden, generator=g) * 2 - 1)
        self.C = nn.Parameter(torch.zeros(d, n_hidden))
        self.c = nn.Parameter(torch.zeros(d))
        self.tau = float(tau)
        self.register_buffer("h_init", torch.zeros(n_hidden))

    def readout(self, h):
        """y = C h + c: (..., N) -> (..., d)."""
        return h @ self.C.T + self.c

    def field(self, h, x):
        """dh/dt per Lorenz time unit, driven by ``x``: (B, N), (B, d) -> (B, N)."""
        return (-h + torch.tanh(h @ self.W.T + x @ self.U.T + self.b)) / self.tau

    def closed_field(self, h):
        """dh/dt with the input replaced by the readout: the autonomous flow, (..., N)."""
        return self.field(h, self.readout(h))


def hermite_slopes(u):
    """Slopes per sample (L, ...) of ``u`` (L, ...): central differences, one-sided at the
    two ends."""
    m = torch.empty_like(u)
    m[1:-1] = (u[2:] - u[:-2]) / 2
    m[0], m[-1] = u[1] - u[0], u[-1] - u[-2]
    return m


class DrivenField(nn.Module):
    """The driven field in sample time; ``u`` (L, B, d) interpolated by cubic Hermite pieces
    with the slopes of :func:`hermite_slopes` (continuous first derivative)."""

    def __init__(self, net, u):
        super().__init__()
        self.net, self.u, self.m = net, u, hermite_slopes(u)

    def forward(self, s, h):
        i = int(min(max(math.floor(float(s) + 1e-6), 0), self.u.shape[0] - 2))
        t = (s - i).to(self.u.dtype)
        x = ((1 + 2 * t) * (1 - t) ** 2 * self.u[i] + t * (1 - t) ** 2 * self.m[i]
             + t ** 2 * (3 - 2 * t) * self.u[i + 1] - t ** 2 * (1 - t) * self.m[i + 1])
        return DT * self.net.field(h, x)


class ClosedField(nn.Module):
    """The closed-loop flow in sample time (an ``nn.Module`` holding ``net``, so that
    ``odeint_adjoint`` finds the parameters)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, s, h):
        return DT * self.net.closed_field(h)


def drive(net, u, steps_per_sample=1):
    """Hidden states (L, B, N) at the sample times of ``u`` (L, B, d), from ``h_init``."""
    h0 = net.h_init.to(u.dtype).expand(u.shape[1], -1)
    return torchdiffeq.odeint(DrivenField(net, u), h0, torch.arange(u.shape[0], dtype=u.dtype),
                              method="rk4", options={"step_size": 1 / steps_per_sample})


def run_closed(net, h0, n, steps_per_sample=FORECAST_STEPS, adjoint=False):
    """Hidden states (n, B, N) at samples 1..n of the closed-loop flow from ``h0`` (B, N);
    through ``odeint_adjoint`` when ``adjoint``."""
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    return solve(ClosedField(net), h0, torch.arange(n + 1, dtype=h0.dtype), method="rk4",
                 options={"step_size": 1 / steps_per_sample})[1:]


@torch.no_grad()
def fit_flow_readout(net, series, ridge=RIDGE, washout=100, derivative_weight=0.0):
    """Stage 1: the readout ``C``, ``c`` by one ridge solve on the states driven by
    ``series`` (T, d) (float64, bias unpenalised, ``ridge`` per sample) so that
    ``C h(t) + c ~ u(t)`` (01's recipe: continuous-time reservoir computing).  Sets
    ``h_init`` to the mean driven state.  In place; returns ``net``.

    ``derivative_weight`` > 0 (time units; 01's optional section uses
    ``DERIVATIVE_WEIGHT``) also fits the readout's velocity to the data's,
    ``derivative_weight * C dh/dt ~ derivative_weight * du/dt`` (``dh/dt`` the driven field
    at the samples, ``du/dt`` the data's five-point central difference; the last two
    samples, without a difference, are dropped): closed on its readout the network is a
    flow whose readout moves as ``C dh/dt``, which fitting values alone leaves free."""
    u = series.double()
    m64 = copy.deepcopy(net).double()
    H_all = drive(m64, u[:, None])[:, 0]
    keep = slice(washout, len(u) - 2 if derivative_weight > 0 else None)
    H = H_all[keep]
    net.h_init.copy_(H.mean(0))
    A = torch.cat([H, torch.ones(len(H), 1, dtype=H.dtype)], 1)
    Y = u[keep]
    if derivative_weight > 0:
        ud = torch.zeros_like(u)
        ud[2:-2] = (-u[4:] + 8 * u[3:-1] - 8 * u[1:-3] + u[:-4]) / (12 * DT)
        Hd = m64.field(H_all, u)[keep]
        A = torch.cat([A, derivative_weight * torch.cat([Hd, torch.zeros_like(A[:, :1])], 1)])
        Y = torch.cat([Y, derivative_weight * ud[keep]])
    penalty = ridge * len(H) * torch.eye(A.shape[1], dtype=H.dtype)
    penalty[-1, -1] = 0
    sol = torch.linalg.solve(A.T @ A + penalty, A.T @ Y)
    net.C.copy_(sol[:-1].T)
    net.c.copy_(sol[-1])
    return net


def closed_window_loss(net, win, n_drive=N_DRIVE, adjoint=True):
    """Loss of one batch of closed-loop windows ``win`` (n_drive + 1 + L, B, d): drive
    through ``win[:n_drive + 1]`` without gradient, run the closed loop ``L`` samples from
    there (one RK4 step per sample, through ``odeint_adjoint`` when ``adjoint``), return
    the mean of (readout - ``win[n_drive + 1:]``)^2: a 0-d tensor."""
    with torch.no_grad():
        h0 = drive(net, win[:n_drive + 1])[-1]
    h = run_closed(net, h0, win.shape[0] - n_drive - 1, steps_per_sample=1, adjoint=adjoint)
    return torch.mean((net.readout(h) - win[n_drive + 1:]) ** 2)


def train_flow(net, series, n_iter=N_ITER, batch=32, window=WINDOW, n_drive=N_DRIVE, lr=LR,
               seed=0):
    """Every weight by Adam on closed-loop windows of ``series`` (T, d): ``W``'s learning
    rate ``lr / sqrt(N)`` (a coherent change of an N x N matrix), the others' ``lr``;
    20 warm-up iterations then cosine decay; gradient norm clipped at 1.  Returns the
    losses (list)."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam([{"params": [net.W], "lr": lr / math.sqrt(net.W.shape[0])},
                            {"params": [net.U, net.b, net.C, net.c], "lr": lr}])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / 20) * 0.5 * (1 + math.cos(math.pi * i / n_iter)))
    losses = []
    for _ in range(n_iter):
        s = torch.randint(n_drive, len(series) - window - 1, (batch,), generator=g)
        win = series[s[:, None] + torch.arange(-n_drive, window + 1)].transpose(0, 1)
        loss = closed_window_loss(net, win, n_drive)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def flow_forecasts(net, series, steps_per_sample=FORECAST_STEPS, n_starts=evaluation.N_STARTS,
                   n_warmup=evaluation.N_WARMUP, horizon=evaluation.HORIZON):
    """The course's protocol in float64: from each start ``s`` drive through
    ``series[s - n_warmup : s + 1]``, then run closed.  Returns the forecasts
    (horizon, n_starts, d) and the starts (n_starts,)."""
    net = copy.deepcopy(net).double()
    series = series.double()
    starts = evaluation.protocol_starts(len(series), n_starts, n_warmup, horizon)
    u = series[torch.as_tensor(starts)[:, None] + torch.arange(-n_warmup, 1)].transpose(0, 1)
    h0 = drive(net, u, steps_per_sample)[-1]
    return net.readout(run_closed(net, h0, horizon, steps_per_sample)), starts


def flow_valid_prediction_times(net, series, steps_per_sample=FORECAST_STEPS, **kw):
    """VPTs (Lyapunov times), array (n_starts,), of the protocol's forecasts."""
    pred, starts = flow_forecasts(net, series, steps_per_sample, **kw)
    return evaluation.forecast_vpts(pred, series.double(), starts, DT)


def train_flow_ctrnn(task, seed=0, n_iter=N_ITER, **kw):
    """01's recipe end to end on the task's standardised training split: returns the
    trained net, its readout-only copy and ``info`` (dict: ``seconds``, ``losses``)."""
    from .ctrnn import standardised_splits
    train, _, _ = standardised_splits(task)
    t0 = time.perf_counter()
    net = fit_flow_readout(FlowCTRNN(seed=seed), train)
    readout_only = copy.deepcopy(net)
    losses = train_flow(net, train, n_iter=n_iter, seed=seed, **kw)
    return net, readout_only, {"seconds": time.perf_counter() - t0, "losses": losses}


# ---- the flow as 05 measures it (lib.comparison.flow_model_metrics) -------------------------


@torch.no_grad()
def flow_one_step_error(net, series, steps_per_sample=FORECAST_STEPS, n_warmup=evaluation.N_WARMUP):
    """The protocol's one-step error for the flow (float64): the states driven by
    ``series`` (T, d) from ``h_init``; from the state at each sample ``t`` the closed loop
    runs one sample and its readout predicts ``series[t + 1]``
    (:func:`lib.evaluation.one_step_error`, after ``n_warmup`` predictions)."""
    net = copy.deepcopy(net).double()
    series = series.double()
    H = drive(net, series[:, None], steps_per_sample)[:-1, 0]          # (T - 1, N)
    pred = net.readout(run_closed(net, H, 1, steps_per_sample)[0])
    return evaluation.one_step_error(pred, series, n_warmup)


def closed_field_jvp(net, h, V):
    """J(h) @ V for the closed-loop field (per time unit): ``h`` (N,), ``V`` (N, k).
    ``J = (-I + diag(1 - a^2) M) / tau`` with ``M = W + U C``, ``a = M h + U c + b``."""
    M = net.W + net.U @ net.C
    a = torch.tanh(M @ h + net.U @ net.c + net.b)
    return (-V + (1 - a ** 2)[:, None] * (M @ V)) / net.tau


def closed_sample_step(net, steps_per_sample=FORECAST_STEPS):
    """``step(h, V) -> (h', V')``: one sample of the closed loop by classical RK4 with
    ``steps_per_sample`` steps, carrying tangent vectors ``V`` (N, k) through every stage
    (the exact Jacobian of the step applied to ``V``).  torchdiffeq's ``rk4`` (the forecasts'
    and free runs') is the 3/8 rule, of the same order: both approximate the same flow, whose
    exponent this step's tangent estimates."""
    H = DT / steps_per_sample
    f = net.closed_field

    def step(h, V):
        for _ in range(steps_per_sample):
            k1, V1 = f(h), closed_field_jvp(net, h, V)
            x2 = h + H / 2 * k1
            k2, V2 = f(x2), closed_field_jvp(net, x2, V + H / 2 * V1)
            x3 = h + H / 2 * k2
            k3, V3 = f(x3), closed_field_jvp(net, x3, V + H / 2 * V2)
            x4 = h + H * k3
            k4, V4 = f(x4), closed_field_jvp(net, x4, V + H * V3)
            h = h + H / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            V = V + H / 6 * (V1 + 2 * V2 + 2 * V3 + V4)
        return h, V
    return step


@torch.no_grad()
def flow_start_state(net, z, warmup, offset=0):
    """The state (N,) after driving the (float64) flow with ``z[offset:offset + warmup]``."""
    return drive(net, torch.as_tensor(z[offset:offset + warmup], dtype=torch.float64)[:, None])[-1, 0]


@torch.no_grad()
def flow_free_run(net, h0, n):
    """``n`` closed-loop readouts (n, d) (numpy) of the flow from ``h0`` (N,)."""
    return net.readout(run_closed(net, h0[None], n)[:, 0]).numpy()
