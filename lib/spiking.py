"""03_balanced_spiking_network: LIF neurons, a sparse E/I network, a spiking reservoir.

Graded functions (spec section 03): ``lif_step``, ``sparse_ei_weights``,
``run_lif_network``, ``exponential_trace``, ``ridge_regression``, ``firing_rates``,
``cv_isi``.  Ungraded helpers build and run the reservoir used in the notebook:
``input_weights``, ``reservoir_currents``, ``simulate_reservoir``,
``reservoir_features``, ``fit_reservoir`` / ``Reservoir.predict``; the same reservoir in
closed loop (03's optional section, 05's reservoir row): ``fit_closed_loop_reservoir``,
``reservoir_valid_prediction_times``, ``reservoir_free_run``.

Times are in seconds; voltages are dimensionless (threshold 1 by default).
"""

import math

import numpy as np
import torch

from . import evaluation
from .task import DT as DATA_DT

# ---- graded functions -----------------------------------------------------------------


def lif_step(v, i_in, tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3):
    """One Euler step of a leaky integrate-and-fire neuron (norse's ``LIFBoxCell``).

    ``v' = v + dt/tau_m*(v_rest - v + i_in)``; ``z = (v' > v_th)`` in ``v``'s dtype;
    returns ``(z, where(z, v_reset, v'))``.
    """
    v_new = v + dt / tau_m * (v_rest - v + i_in)
    spiking = v_new > v_th
    z = spiking.to(v.dtype)
    v_out = torch.where(spiking, torch.as_tensor(v_reset, dtype=v_new.dtype), v_new)
    return z, v_out


def sparse_ei_weights(n_exc, n_inh, p, w_exc, g, generator):
    """Sparse E/I weights ``W[post, pre]``: each off-diagonal entry is present with
    probability ``p`` (independently, drawn from ``generator`` only); E columns carry
    ``w_exc``, I columns ``-g*w_exc``; no autapses.  Default dtype."""
    n = n_exc + n_inh
    dtype = torch.get_default_dtype()
    present = torch.rand(n, n, generator=generator, dtype=torch.float64) < p
    present.fill_diagonal_(False)
    col = torch.full((n,), float(w_exc), dtype=dtype)
    col[n_exc:] = -g * w_exc
    return present.to(dtype) * col


def run_lif_network(i_ext, W_rec, tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3, v0=None,
                    step=None):
    """Simulate a recurrent LIF network: at step ``t`` the input current is
    ``i_ext[t] + W_rec @ z_{t-1}`` (``z_{-1} = 0``), then one ``lif_step`` with
    ``v_rest = 0``.  ``i_ext`` is ``(T, N)``; returns the spikes ``(T, N)``.

    ``step`` (ungraded, for the grader) replaces ``lif_step`` by another neuron step.
    """
    step = lif_step if step is None else step
    T, n = i_ext.shape
    v = torch.zeros(n, dtype=i_ext.dtype) if v0 is None else v0
    z = torch.zeros(n, dtype=i_ext.dtype)
    out = torch.empty_like(i_ext)
    for t in range(T):
        i_t = i_ext[t] + W_rec @ z
        z, v = step(v, i_t, tau_m=tau_m, v_rest=0.0, v_th=v_th, v_reset=v_reset, dt=dt)
        out[t] = z
    return out


def exponential_trace(spikes, tau_s, dt):
    """``x_t = exp(-dt/tau_s)*x_{t-1} + spikes_t`` along axis 0, ``x_{-1} = 0``."""
    decay = math.exp(-dt / tau_s)
    out = torch.empty_like(spikes)
    x = torch.zeros_like(spikes[0])
    for t in range(spikes.shape[0]):
        x = decay * x + spikes[t]
        out[t] = x
    return out


def ridge_regression(X, Y, alpha):
    """Minimise ``||X @ W + b - Y||^2 + alpha*||W||^2`` (bias not penalised).

    Returns ``(W, b)`` of shapes ``(D_x, D_y)`` and ``(D_y,)``."""
    x_mean, y_mean = X.mean(0), Y.mean(0)
    Xc, Yc = X - x_mean, Y - y_mean
    A = Xc.T @ Xc + alpha * torch.eye(X.shape[1], dtype=X.dtype)
    W = torch.linalg.solve(A, Xc.T @ Yc)
    b = y_mean - x_mean @ W
    return W, b


def firing_rates(spikes, dt):
    """Per-neuron mean firing rate in Hz of spikes ``(T, N)``."""
    return spikes.sum(0) / (spikes.shape[0] * dt)


def cv_isi(spikes, dt):
    """Mean over neurons with at least 3 spikes of std/mean (ddof=0) of their
    inter-spike intervals; ``nan`` if no neuron qualifies."""
    s = spikes.detach().cpu().numpy() if torch.is_tensor(spikes) else np.asarray(spikes)
    cvs = []
    for j in range(s.shape[1]):
        times = np.flatnonzero(s[:, j]) * dt
        if times.size >= 3:
            isi = np.diff(times)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


# ---- ungraded helpers: the balanced network and the reservoir -------------------------

# The notebook's balanced network (section 3): 1000 LIF neurons, 80 % excitatory,
# connection probability 0.1, strongly inhibition-dominated (w = 1, g = 8), driven by a
# Brunel-like current in the diffusion limit: mean just above threshold (alone it makes
# every neuron fire nearly regularly), modest white noise.  The control removes the
# recurrent connections; the contrast drive is strong zero-mean noise, which makes neurons
# irregular without any network.
AI_NETWORK = dict(n_exc=800, n_inh=200, p=0.1, w_exc=1.0, g=8.0)
AI_DRIVE = dict(mu=1.2, noise=0.5)
NOISE_DRIVE = dict(mu=0.0, noise=3.0)
NEURON = dict(tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3)
# The reservoir: a network of the same construction with weaker coupling (w = 0.5, g = 5),
# the noise replaced by the Lorenz signal through random input weights; every sample is
# held for 3 steps (3 ms); spike traces with tau_s = 10 ms are read out (with the input
# itself) by ridge regression.  Under the Lorenz drive it is not in the AI regime (CV ~2.4).
NETWORK = dict(n_exc=800, n_inh=200, p=0.1, w_exc=0.5, g=5.0)
RESERVOIR = dict(mu=0.3, input_scale=1.0, steps_per_sample=3, tau_s=0.01, alpha=0.1,
                 washout=100)


def ai_network_weights(seed=1, **overrides):
    """The recurrent weights of the notebook's balanced network (a seeded draw)."""
    cfg = {**AI_NETWORK, **overrides}
    rng_w = torch.Generator().manual_seed(seed)
    return sparse_ei_weights(cfg["n_exc"], cfg["n_inh"], cfg["p"], cfg["w_exc"], cfg["g"], rng_w)


def noise_drive(n_steps, n, mu, noise, generator, dtype=None):
    """External current ``mu + noise * white noise`` of shape ``(n_steps, n)``."""
    dtype = dtype or torch.get_default_dtype()
    return mu + noise * torch.randn(n_steps, n, generator=generator, dtype=dtype)


def lif_rate_continuous(i_const, tau_m=0.01, v_th=1.0, v_reset=0.0):
    """Firing rate (Hz) of the continuous-time LIF (v_rest = 0, no refractory period)
    under a constant current: ``1 / (tau_m * log((I - v_reset) / (I - v_th)))``."""
    i = np.asarray(i_const, dtype=float)
    with np.errstate(all="ignore"):
        r = 1.0 / (tau_m * np.log((i - v_reset) / (i - v_th)))
    return np.where(i > v_th, r, 0.0)


def lif_rate_discrete(i_const, tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3):
    """Exact rate of the Euler-discretised neuron of ``lif_step`` (v_rest = 0):
    after a reset, ``v_k = I + (v_reset - I) * (1 - a)**k`` with ``a = dt/tau_m``; the
    neuron fires at the first ``k`` with ``v_k > v_th``, so the period is ``k*dt``."""
    a = dt / tau_m
    i = np.asarray(i_const, dtype=float)
    out = np.zeros_like(i)
    ok = i > v_th
    with np.errstate(all="ignore"):
        k = np.log((i - v_th) / (i - v_reset)) / np.log(1 - a)
    k = np.floor(k) + 1  # first integer step strictly beyond the crossing
    out[ok] = 1.0 / (np.maximum(k[ok], 1) * dt)
    return out


def norse_lif_cell(tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3, dtype=None):
    """norse's ``LIFBoxCell`` with the parameters of ``lif_step`` (hard threshold), its
    parameter tensors in ``dtype`` (norse's defaults are float32)."""
    from norse.torch import LIFBoxCell, LIFBoxParameters
    dtype = dtype or torch.get_default_dtype()
    values = {"tau_mem_inv": 1.0 / tau_m, "v_leak": v_rest, "v_th": v_th, "v_reset": v_reset}
    params = {k: torch.tensor(float(x), dtype=dtype) for k, x in values.items()}
    return LIFBoxCell(LIFBoxParameters(**params, method="heaviside"), dt=dt)


def input_weights(n, d, scale, generator, dtype=None):
    """Random input weights ``(n, d)``: independent normal entries of std ``scale``."""
    dtype = dtype or torch.get_default_dtype()
    return scale * torch.randn(n, d, generator=generator, dtype=dtype)


def norse_neuron(tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3, dtype=None):
    """The reservoir's neuron step, ``(v, i_in) -> (z, v_new)``: norse's ``LIFBoxCell``
    (the notebook's ``reservoir_neuron``; keyword arguments are ignored)."""
    from norse.torch.functional.lif_box import LIFBoxFeedForwardState
    cell = norse_lif_cell(tau_m=tau_m, v_th=v_th, v_reset=v_reset, dt=dt, dtype=dtype)

    def step(v, i_in, **ignored):
        z, state = cell(i_in, LIFBoxFeedForwardState(v=v))
        return z, state.v
    return step


def simulate_reservoir(u_seq, W_rec, W_in, mu=RESERVOIR["mu"],
                       steps_per_sample=RESERVOIR["steps_per_sample"],
                       tau_s=RESERVOIR["tau_s"], tau_m=0.01, v_th=1.0, v_reset=0.0,
                       dt=1e-3, return_spikes=False, step=None):
    """Drive the network from rest with ``u_seq`` ``(T, d)``, each sample held for
    ``steps_per_sample`` steps of ``dt`` (input current ``mu + W_in @ u``, plus the
    recurrent ``W_rec @ z`` of the previous step), neurons advanced by norse's
    ``LIFBoxCell`` (``norse_neuron``) or by ``step`` (the grader silences or perturbs the
    network this way; ``lif_step`` gives the same model up to rounding).  Returns the
    exponential spike traces ``(T, N)`` read at the last step of every sample (and the
    spikes ``(T*steps_per_sample, N)`` if ``return_spikes``).  The same arithmetic, in the
    same order, as the notebook's ``simulate_reservoir``."""
    n_neurons, dtype = W_rec.shape[0], W_rec.dtype
    if step is None:
        step = norse_neuron(tau_m=tau_m, v_th=v_th, v_reset=v_reset, dt=dt, dtype=dtype)
    drive = mu + torch.as_tensor(u_seq, dtype=dtype) @ W_in.to(dtype).T
    decay = math.exp(-dt / tau_s)
    v = torch.zeros(n_neurons, dtype=dtype)
    z = torch.zeros(n_neurons, dtype=dtype)
    trace = torch.zeros(n_neurons, dtype=dtype)
    traces = torch.empty(len(drive), n_neurons, dtype=dtype)
    spikes = (torch.empty(len(drive) * steps_per_sample, n_neurons, dtype=dtype)
              if return_spikes else None)
    with torch.no_grad():
        for k in range(len(drive)):
            for j in range(steps_per_sample):
                z, v = step(v, drive[k] + W_rec @ z, tau_m=tau_m, v_th=v_th,
                            v_reset=v_reset, dt=dt)
                trace = decay * trace + z
                if return_spikes:
                    spikes[k * steps_per_sample + j] = z
            traces[k] = trace
    return (traces, spikes) if return_spikes else traces


def reservoir_features(traces, u_seq):
    """Readout features: the spike traces and the current input, side by side."""
    return torch.cat([traces, torch.as_tensor(u_seq, dtype=traces.dtype)], dim=1)


class Reservoir:
    """A fitted spiking reservoir: network, input weights and ridge readout."""

    def __init__(self, W_rec, W_in, W_out, b_out, washout, **sim):
        self.W_rec, self.W_in, self.W_out, self.b_out = W_rec, W_in, W_out, b_out
        self.washout, self.sim = washout, sim

    def features(self, u_seq):
        return reservoir_features(simulate_reservoir(u_seq, self.W_rec, self.W_in, **self.sim),
                                  u_seq)

    def readout(self, feats):
        return (feats.double() @ self.W_out + self.b_out).to(feats.dtype)

    def predict(self, u_seq):
        """Predictions ``(T, d)`` of the next standardised state, from rest."""
        return self.readout(self.features(u_seq))


def fit_reservoir(u_train, seed=1, alpha=RESERVOIR["alpha"], washout=RESERVOIR["washout"],
                  n_exc=NETWORK["n_exc"], n_inh=NETWORK["n_inh"],
                  input_scale=RESERVOIR["input_scale"], feats=None, **sim):
    """Build the reservoir (seeded) and fit its readout to predict ``u[t+1]`` from the
    features at ``t`` on ``u_train`` ``(T, d)`` after ``washout`` samples."""
    rng_w = torch.Generator().manual_seed(seed)
    W_rec = sparse_ei_weights(n_exc, n_inh, NETWORK["p"], NETWORK["w_exc"], NETWORK["g"], rng_w)
    u_train = torch.as_tensor(u_train, dtype=W_rec.dtype)
    W_in = input_weights(n_exc + n_inh, u_train.shape[1], input_scale, rng_w, dtype=W_rec.dtype)
    res = Reservoir(W_rec, W_in, None, None, washout, **sim)
    F = res.features(u_train) if feats is None else feats
    W_out, b_out = ridge_regression(F[washout:-1].double(), u_train[washout + 1:].double(), alpha)
    res.W_out, res.b_out = W_out, b_out
    return res


def one_step_error(pred, u_seq, washout=0):
    """The course's one-step error (as in 01 and 05) of ``pred[t]`` against ``u[t+1]`` for
    ``t >= washout``: at each step the root-mean-square over the components (standardised
    units, the spec's ``prediction_error`` with ``std = 1``), averaged over time."""
    pred = np.asarray(pred.detach() if torch.is_tensor(pred) else pred, dtype=float)
    u = np.asarray(u_seq.detach() if torch.is_tensor(u_seq) else u_seq, dtype=float)
    return float(np.mean(np.sqrt(np.mean((pred[washout:-1] - u[washout + 1:]) ** 2, axis=-1))))


# ---- baselines that never run the network (03's honest comparison) -------------------


def lagged_inputs(u_seq, n_lags):
    """``(T, d*n_lags)``: ``u[t], u[t-1], ..., u[t-n_lags+1]`` side by side, the first
    rows padded with ``u[0]`` (causal)."""
    u = torch.as_tensor(u_seq)
    cols = [torch.cat([u[:1].expand(j, -1), u[:len(u) - j]]) for j in range(n_lags)]
    return torch.cat(cols, dim=1)


def quadratic_features(u_seq):
    """``(T, d + d(d+1)/2)``: the input and all products ``u_i u_j`` (``i <= j``)."""
    u = torch.as_tensor(u_seq)
    i, j = torch.triu_indices(u.shape[1], u.shape[1])
    return torch.cat([u, u[:, i] * u[:, j]], dim=1)


def fit_baselines(u_train, washout=RESERVOIR["washout"], lags=(1, 2, 3), alpha=1e-6):
    """Ridge readouts (float64) of the next state from ``n`` lags of the input and from
    quadratic features of the current input; returns ``{name: predict(u_seq)}``."""
    u_train = torch.as_tensor(u_train, dtype=torch.float64)
    target = u_train[washout + 1:]
    models = {"persistence": lambda u: torch.as_tensor(u, dtype=torch.float64)}
    for k in lags:
        W, b = ridge_regression(lagged_inputs(u_train, k)[washout:-1], target, alpha)
        models[f"linear AR({k})"] = (lambda W, b, k: lambda u: lagged_inputs(
            torch.as_tensor(u, dtype=torch.float64), k) @ W + b)(W, b, k)
    W, b = ridge_regression(quadratic_features(u_train)[washout:-1], target, alpha)
    models["quadratic ridge"] = lambda u: quadratic_features(
        torch.as_tensor(u, dtype=torch.float64)) @ W + b
    return models


# ---- the reservoir in closed loop (03's optional section, 05's reservoir row) ---------

# A practitioner's closed-loop reservoir: the graded network and input weights (same seed
# and draws as ``fit_reservoir``), its readout refitted for generation.  The choices, each
# measured in 03's table: Gaussian noise of std ``noise`` (standardised units) on the
# training inputs (the readout learns to pull a perturbed input back: the usual
# regulariser for free running), the squares of the spike traces next to the traces and
# ``u`` (``squared``: a nonlinear readout of the network state), the products
# ``u_i u_j`` of the current input (``quadratic``: the Lorenz nonlinearity handed to the
# readout directly, no network needed), the trace time constant ``tau_s`` (s) and ``alpha``.
CLOSED_LOOP = dict(noise=0.02, squared=True, quadratic=False, tau_s=RESERVOIR["tau_s"],
                   alpha=RESERVOIR["alpha"], washout=RESERVOIR["washout"], noise_seed=7)


class ClosedLoopReservoir:
    """A spiking reservoir whose readout is fitted to be iterated on its own output.

    The state of a batch of ``B`` copies is ``(v, z, trace)``, each ``(B, N)``: voltages,
    last spikes, spike traces.  Inputs and outputs are standardised Lorenz states
    ``(B, 3)``.  Neurons are advanced by norse's ``LIFBoxCell`` (``norse_neuron``) in the
    dtype of ``W_rec`` (float32), with the arithmetic of ``simulate_reservoir`` batched."""

    def __init__(self, W_rec, W_in, tau_s=CLOSED_LOOP["tau_s"], squared=CLOSED_LOOP["squared"],
                 quadratic=CLOSED_LOOP["quadratic"], mu=RESERVOIR["mu"],
                 steps_per_sample=RESERVOIR["steps_per_sample"], dt=NEURON["dt"]):
        self.W_rec, self.W_in = W_rec, W_in
        self.tau_s, self.squared, self.quadratic = float(tau_s), bool(squared), bool(quadratic)
        self.mu, self.steps_per_sample, self.dt = mu, steps_per_sample, dt
        self.neuron = norse_neuron(dt=dt, dtype=W_rec.dtype)
        self.W_out, self.b_out = None, None

    def sim(self):
        """Keyword arguments of ``simulate_reservoir`` for this network."""
        return dict(mu=self.mu, steps_per_sample=self.steps_per_sample, tau_s=self.tau_s,
                    dt=self.dt)

    def initial_state(self, batch):
        """Rest: ``(v, z, trace)``, each ``(B, N)`` zeros."""
        n, dtype = self.W_rec.shape[0], self.W_rec.dtype
        return tuple(torch.zeros(batch, n, dtype=dtype) for _ in range(3))

    @torch.no_grad()
    def advance(self, state, u):
        """Hold the input ``u`` ``(B, 3)`` for ``steps_per_sample`` network steps."""
        v, z, trace = state
        drive = self.mu + u.to(self.W_rec.dtype) @ self.W_in.T
        decay = math.exp(-self.dt / self.tau_s)
        for _ in range(self.steps_per_sample):
            z, v = self.neuron(v, drive + z @ self.W_rec.T)
            trace = decay * trace + z
        return v, z, trace

    def features(self, traces, u):
        """Readout features ``(..., F)`` in float64 from traces ``(..., N)`` and inputs
        ``(..., 3)``: traces, ``u``, then the squared traces (if ``squared``) and the
        products ``u_i u_j``, ``i <= j`` (if ``quadratic``)."""
        traces, u = traces.double(), torch.as_tensor(u).double()
        parts = [traces, u]
        if self.squared:
            parts.append(traces ** 2)
        if self.quadratic:
            i, j = torch.triu_indices(u.shape[-1], u.shape[-1])
            parts.append(u[..., i] * u[..., j])
        return torch.cat(parts, dim=-1)

    def readout(self, traces, u):
        """Prediction ``(..., 3)`` of the next state (float64)."""
        return self.features(traces, u) @ self.W_out + self.b_out

    @torch.no_grad()
    def generate(self, warm, u0, n_steps):
        """Teacher-forced on ``warm`` ``(n_warmup, B, 3)`` from rest, then fed ``u0``
        ``(B, 3)`` and its own predictions: returns ``(n_steps, B, 3)`` (float64), the
        first row the prediction following ``u0``."""
        state = self.initial_state(u0.shape[0])
        for u in warm:
            state = self.advance(state, u)
        u, out = u0, []
        for _ in range(n_steps):
            state = self.advance(state, u)
            u = self.readout(state[2], u).to(self.W_rec.dtype)
            out.append(u)
        return torch.stack(out).double()


def fit_closed_loop_reservoir(u_train, seed=1, noise=CLOSED_LOOP["noise"],
                              squared=CLOSED_LOOP["squared"], quadratic=CLOSED_LOOP["quadratic"],
                              tau_s=CLOSED_LOOP["tau_s"], alpha=CLOSED_LOOP["alpha"],
                              washout=CLOSED_LOOP["washout"], noise_seed=CLOSED_LOOP["noise_seed"],
                              traces=None, n_exc=NETWORK["n_exc"], n_inh=NETWORK["n_inh"],
                              input_scale=RESERVOIR["input_scale"]):
    """The network of ``fit_reservoir(u_train, seed)`` (the same weights) with a readout
    fitted for closed loop: driven from rest by ``u_train`` ``(T, 3)`` plus Gaussian noise
    of std ``noise`` (drawn in float32 from ``torch.Generator().manual_seed(noise_seed)``;
    ``simulate_reservoir``, so the notebook's ``traces_all`` can be reused via ``traces``
    when ``noise == 0``), a ridge readout (``alpha``) of the features of
    ``ClosedLoopReservoir.features`` (of the noisy input) is fitted to the clean ``u[t+1]``
    after ``washout`` samples.  Returns a ``ClosedLoopReservoir``."""
    rng_w = torch.Generator().manual_seed(seed)
    W_rec = sparse_ei_weights(n_exc, n_inh, NETWORK["p"], NETWORK["w_exc"], NETWORK["g"], rng_w)
    u_train = torch.as_tensor(u_train, dtype=W_rec.dtype)
    W_in = input_weights(n_exc + n_inh, u_train.shape[1], input_scale, rng_w, dtype=W_rec.dtype)
    model = ClosedLoopReservoir(W_rec, W_in, tau_s=tau_s, squared=squared, quadratic=quadratic)
    u_in = u_train
    if noise:
        rng_n = torch.Generator().manual_seed(noise_seed)
        u_in = u_train + noise * torch.randn(u_train.shape, generator=rng_n, dtype=u_train.dtype)
    if traces is None:
        traces = simulate_reservoir(u_in, W_rec, W_in, **model.sim())
    F = model.features(traces[:len(u_in)], u_in)
    model.W_out, model.b_out = ridge_regression(F[washout:-1], u_train[washout + 1:].double(), alpha)
    return model


def closed_loop_starts(T, n_starts=20, n_warmup=200, horizon=600):
    """The course's forecast starts (``lib.evaluation.protocol_starts``) with the
    reservoir's longer warm-up."""
    return evaluation.protocol_starts(T, n_starts, n_warmup, horizon)


def reservoir_valid_prediction_times(model, series, n_starts=20, n_warmup=200, horizon=600,
                                     data_dt=DATA_DT, threshold=0.5):
    """Closed-loop valid prediction times (Lyapunov times) with the protocol of
    ``lib.ctrnn.valid_prediction_times``: from each start ``s``, teacher forcing from rest
    on ``series[s - n_warmup : s]``, then free running from the input ``series[s]``,
    compared with ``series[s + 1 : s + 1 + horizon]`` (std 1, threshold 0.5).  ``series``
    is ``(T, 3)`` standardised; returns ``(n_starts,)``."""
    series = torch.as_tensor(series, dtype=model.W_rec.dtype)
    starts = closed_loop_starts(len(series), n_starts, n_warmup, horizon)
    warm = torch.stack([series[s - n_warmup:s] for s in starts], dim=1)   # (n_warmup, B, 3)
    pred = model.generate(warm, series[starts], horizon)                  # (horizon, B, 3)
    return evaluation.forecast_vpts(pred.double(), series.double(), starts, data_dt, threshold)


def reservoir_free_run(model, series, n_steps, n_warmup=200):
    """A free-running trajectory ``(n_steps, 3)`` (float64 numpy): teacher forcing from
    rest on ``series[:n_warmup]``, then the input ``series[n_warmup]`` and the model's own
    predictions (the first row predicts ``series[n_warmup + 1]``)."""
    series = torch.as_tensor(series, dtype=model.W_rec.dtype)
    gen = model.generate(series[:n_warmup, None, :], series[n_warmup][None], n_steps)
    return gen[:, 0].numpy()
