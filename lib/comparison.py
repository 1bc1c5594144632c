"""05's controlled comparison: the ablation models and the one measurement protocol.

Rows that isolate causes, next to the shipped CT-RNN and E/I network:

* :class:`UnconstrainedEIRNN` -- the E/I rate network of :mod:`lib.ei` without Dale's law:
  the same update, initialisation (the same signed matrix for the same seed), readout (E
  units) and training (:func:`lib.ei.train_rollout`), but the recurrent weights may take
  either sign.  What Dale's law costs.
* :func:`train_esn` -- an echo state network: a fixed random tanh rate reservoir (the
  :class:`lib.ctrnn.CTRNN` update and initialisation) of which only the linear readout is
  fitted (ridge, :func:`lib.ctrnn.fit_readout`).  Next to the spiking reservoir: what spikes
  cost; at the CT-RNN's size: what training every weight buys.

The protocol (:func:`rate_model_metrics`) is the one of 04 and 05 for every rate network:
one-step error and valid prediction times (median of 20 closed-loop starts) from
:mod:`lib.ctrnn` / :mod:`lib.ei` on the test split, then, in float64 from the state reached
by driving the network with ``WARMUP`` samples of the task's trajectory from each of the
``START_OFFSETS`` (five start states), the largest Lyapunov exponent of the closed-loop map
(QR method, ``N_LYAP`` steps after ``N_LYAP_TRANSIENT``) and a free run as long as the
trajectory, compared with it by the state-space divergence (``N_BINS`` bins per
dimension) and the power-spectrum distance.  Each of these is reported as the median over
the start states with the per-start values (their range is the measure's resolution for
one model); the valid prediction time as the median over 20 starts with its quartiles.
The Lorenz-vs-Lorenz floor is a band over ``N_FLOOR`` initial conditions
(:func:`lorenz_reference`).  All states are standardised; exponents per Lorenz time unit.
"""

import time

import numpy as np
import torch

from .analysis import lorenz_rk4_map, lyapunov_spectrum, power_spectrum_distance, state_space_divergence
from .ctrnn import LAMBDA_1, evaluate_model, standardised_splits, train_ctrnn
from .ei import EIRNN, apply_dale, dale_signs, evaluate_eirnn, train_eirnn

WARMUP = 500                 # samples that drive a network before its exponents and free run
START_OFFSETS = (0, 1000, 2000, 3000, 4000)   # start state k: driven by z[off:off + WARMUP]
N_LYAP = 2000                # QR steps of the exponent, per start state
N_LYAP_TRANSIENT = 500       # closed-loop steps discarded before them
N_BINS = 10                  # bins per dimension of the state-space divergence
FULL_QR_MAX = 200            # above this many units only the leading exponents are tracked
N_LEADING = 3                # ... this many (QR on N x 3 instead of N x N; same leading value)
LORENZ_OTHER_X0 = (-3.0, 2.0, 30.0)   # 04's first other Lorenz trajectory (the floor)
N_FLOOR = 20                 # Lorenz trajectories of the floor band (initial conditions)
FLOOR_SEED = 0               # seed of the other initial conditions (``floor_initial_conditions``)
LORENZ_TRANSIENT = 500       # their discarded RK4 steps, as in 04
ESN_UNITS = 1000             # the echo state network's size: the spiking reservoir's 1000 neurons


# ---- the ablation models ------------------------------------------------------------------


class UnconstrainedEIRNN(EIRNN):
    """:class:`lib.ei.EIRNN` without Dale's law: ``W_rec = W_rec_raw`` with a zero diagonal.

    Initialised like the EIRNN of the same seed and then given that network's *signed*
    matrix (``apply_dale`` of its raw weights), so the two start from the same network and
    differ only in the constraint kept during training.  Same parameters (count and shapes),
    same update, E-only readout.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with torch.no_grad():
            self.W_rec_raw.copy_(apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh)))

    @property
    def W_rec(self):
        N = self.W_rec_raw.shape[0]
        W = self.W_rec_raw
        return W * (1 - torch.eye(N, dtype=W.dtype, device=W.device))


def train_unconstrained_eirnn(task, seed=0, **kwargs):
    """:func:`lib.ei.train_eirnn` for :class:`UnconstrainedEIRNN` (same split, seed handling,
    defaults and :func:`lib.ei.train_rollout` schedule).  Returns ``(model, info)``."""
    return train_eirnn(task, seed=seed, model_class=UnconstrainedEIRNN, **kwargs)


def train_esn(task, seed=0, n_hidden=ESN_UNITS, ridge=1e-6):
    """Echo state network: a :class:`lib.ctrnn.CTRNN` with its seeded random initialisation
    (spectral radius 0.5, tau = 0.04, one Euler step per sample) kept fixed; only the readout
    is fitted by ridge regression to the next state (:func:`lib.ctrnn.train_ctrnn` with no
    gradient step).  Returns ``(model, info)``; ``info["seconds"]`` is the fit's time."""
    t0 = time.perf_counter()
    model, info = train_ctrnn(task, seed=seed, n_hidden=n_hidden, n_iter=0, ridge=ridge)
    info["seconds"] = time.perf_counter() - t0
    return model, info


def n_trainable(model, readout_only=False):
    """Trained parameters: all of them, or the readout's only (a reservoir)."""
    params = model.readout.parameters() if readout_only else model.parameters()
    return int(sum(p.numel() for p in params))


def sign_consistency_any(W):
    """Fraction of off-diagonal weights of ``W`` (N, N) whose sign agrees with the sign of
    their column's sum (the best Dale labelling of each presynaptic neuron; 1.0 under Dale's
    law, about 0.5 for unconstrained random weights)."""
    W = torch.as_tensor(W).detach().double()
    col = torch.sign(W.sum(dim=0))
    col[col == 0] = 1
    off = ~torch.eye(W.shape[0], dtype=torch.bool)
    ok = (W * col[None, :]) >= 0
    return float(ok[off].double().mean())


# ---- the closed-loop map of a rate network --------------------------------------------------


def _kind(model):
    return "ei" if isinstance(model, EIRNN) else "ct"


def _output(model, h, kind):
    return model.readout(h if kind == "ct" else h[..., :model.n_exc])


def closed_loop_step(model, kind=None):
    """The closed-loop map ``h -> model.step(h, readout(h))`` of a state (N,) (no grad)."""
    kind = kind or _kind(model)

    def step(h):
        with torch.no_grad():
            return model.step(h, _output(model, h, kind))
    return step


def _loop_parts(model, h, kind):
    """(effective recurrent matrix W_rec + W_in W_out (N, N), 1/tau (N,), f'(a) (N,))."""
    W_out = model.readout.weight.detach()
    if kind == "ei":
        W_out = torch.cat([W_out, torch.zeros(W_out.shape[0], model.n_inh, dtype=W_out.dtype)], 1)
    with torch.no_grad():
        x = model.readout(h if kind == "ct" else h[:model.n_exc])
        a = h @ model.W_rec.T + x @ model.W_in.T + model.b
        if kind == "ct":
            slope = 1 - torch.tanh(a) ** 2
            inv_tau = torch.full_like(h, 1 / model.tau)
        else:
            slope = (a > 0).to(a.dtype)
            inv_tau = 1 / model.tau(h)
        W = model.W_rec + model.W_in @ W_out
    return W, inv_tau, slope


def closed_loop_jacobian(model, h, kind=None):
    """Jacobian (N, N) of :func:`closed_loop_step` at ``h`` (N,):
    ``I + dt diag(1/tau) (-I + diag(f'(a)) (W_rec + W_in W_out))``."""
    kind = kind or _kind(model)
    W, inv_tau, slope = _loop_parts(model, h, kind)
    eye = torch.eye(h.shape[0], dtype=h.dtype)
    return eye + model.dt * inv_tau[:, None] * (-eye + slope[:, None] * W)


def leading_lyapunov(step, jvp, x0, n_steps, dt, n_transient=0, k=N_LEADING):
    """The ``k`` leading Lyapunov exponents by the QR method of
    :func:`lib.analysis.lyapunov_spectrum` restricted to ``k`` orthonormal directions:
    ``Q, R = qr(J(x) Q)`` with ``Q`` (N, k) from the first ``k`` columns of the identity
    (Gram-Schmidt keeps the leading ``k`` columns of the full method).  ``jvp(x, Q)`` gives
    ``J(x) @ Q``.  Returns the exponents per unit time, sorted descending."""
    x = x0.detach().clone()
    with torch.no_grad():
        for _ in range(n_transient):
            x = step(x)
        Q = torch.eye(x.shape[-1], k, dtype=x.dtype)
        sums = torch.zeros(k, dtype=x.dtype)
        for _ in range(n_steps):
            Q, R = torch.linalg.qr(jvp(x, Q))
            sums = sums + torch.log(torch.abs(torch.diagonal(R)))
            x = step(x)
    return torch.sort(sums / (n_steps * dt), descending=True).values


def max_lyapunov(model, h0, dt, kind=None):
    """Largest exponent of the closed-loop map from ``h0`` (N,) (float64 model): the full
    spectrum by :func:`lib.analysis.lyapunov_spectrum` up to ``FULL_QR_MAX`` units, the
    leading ``N_LEADING`` by :func:`leading_lyapunov` above (a 1000-unit reservoir)."""
    kind = kind or _kind(model)
    step = closed_loop_step(model, kind)
    if h0.shape[0] <= FULL_QR_MAX:
        lam = lyapunov_spectrum(step, h0, N_LYAP, dt, n_transient=N_LYAP_TRANSIENT,
                                jacobian=lambda h: closed_loop_jacobian(model, h, kind))
        return float(lam[0])

    def jvp(h, Q):
        W, inv_tau, slope = _loop_parts(model, h, kind)
        return Q + model.dt * inv_tau[:, None] * (-Q + slope[:, None] * (W @ Q))
    return float(leading_lyapunov(step, jvp, h0, N_LYAP, dt, n_transient=N_LYAP_TRANSIENT)[0])


@torch.no_grad()
def start_state(model, z, warmup=WARMUP, offset=0):
    """The state (N,) after driving the (float64) model with ``z[offset:offset + warmup]``
    (z: (T, 3))."""
    _, hs = model(torch.as_tensor(z[offset:offset + warmup], dtype=torch.float64)[:, None])
    return hs[-1, 0]


def dynamics_over_starts(model, z, dt, kind=None, offsets=START_OFFSETS):
    """Per start state (``start_state`` at each of ``offsets``): the largest exponent
    (:func:`max_lyapunov`) and the attractor measures of a free run as long as ``z``.
    Returns ``{"max_lyapunov": [...], "state_space_divergence": [...],
    "power_spectrum_distance": [...]}`` (lists of floats, one per offset; NaN for a run
    that is not finite)."""
    kind = kind or _kind(model)
    out = {"max_lyapunov": [], "state_space_divergence": [], "power_spectrum_distance": []}
    for off in offsets:
        h0 = start_state(model, z, offset=off)
        out["max_lyapunov"].append(max_lyapunov(model, h0, dt, kind))
        for key, value in attractor_measures(z, free_run(model, h0, len(z), kind)).items():
            out[key].append(value)
    return out


def summarise_starts(per_start):
    """``{measure: median, measure + "_starts": values}`` of per-start values
    (``{measure: [float, ...]}``, as :func:`dynamics_over_starts` returns them)."""
    out = {}
    for key, values in per_start.items():
        out[key] = median_and_range(values)[0]
        out[key + "_starts"] = [float(v) for v in values]
    return out


def median_and_range(values):
    """``(median, min, max)`` of the finite values (NaN, NaN, NaN when none is finite)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return (float("nan"),) * 3
    return float(np.median(v)), float(v.min()), float(v.max())


@torch.no_grad()
def free_run(model, h0, n, kind=None):
    """``n`` closed-loop outputs (n, 3) (numpy) from the state ``h0``."""
    kind = kind or _kind(model)
    step = closed_loop_step(model, kind)
    h, out = h0, []
    for _ in range(n):
        h = step(h)
        out.append(_output(model, h, kind).numpy())
    return np.array(out)


def standardised_trajectory(task):
    """The task's whole trajectory (T, 3) in the training split's standard units."""
    return (np.asarray(task["traj"]) - task["train_mean"]) / task["train_std"]


def attractor_measures(z, gen):
    """State-space divergence (``N_BINS`` bins) and power-spectrum distance of a free run
    ``gen`` against the trajectory ``z`` (both (T, 3)); NaN when the run is not finite."""
    if not np.all(np.isfinite(gen)):
        return {"state_space_divergence": float("nan"), "power_spectrum_distance": float("nan")}
    return {"state_space_divergence": state_space_divergence(z, gen, N_BINS),
            "power_spectrum_distance": power_spectrum_distance(z, gen)}


# ---- the protocol -----------------------------------------------------------------------------


def rate_model_metrics(model, task, train_seconds=None, readout_only=False):
    """Every column of 05's table for a trained rate network (:class:`lib.ctrnn.CTRNN`,
    :class:`lib.ei.EIRNN` or a subclass): the protocol of this module's docstring.  The
    model is evaluated as given (float32 for one-step error and VPT) and then converted to
    float64 in place for the exponents and the free runs.  Returns a dict: floats (the
    medians), ``vpt_quartiles`` [q1, q3] and ``<measure>_starts`` (one value per start
    state) for the exponent and the two attractor measures."""
    kind = _kind(model)
    model.eval()
    ev = (evaluate_model(model, task, lyapunov=False) if kind == "ct"
          else evaluate_eirnn(model, task))
    m64 = model.double()
    z = standardised_trajectory(task)
    vpt = np.asarray(ev["vpt"], dtype=float)
    out = {"one_step_error": ev["one_step_error"],
           "valid_prediction_time": ev["vpt_median"],
           "vpt_quartiles": [float(np.percentile(vpt, 25)), float(np.percentile(vpt, 75))]}
    out.update(summarise_starts(dynamics_over_starts(m64, z, float(task["dt"]), kind)))
    out["n_params"] = n_trainable(model, readout_only)
    out["sign_consistency"] = sign_consistency_any(model.W_rec)
    if train_seconds is not None:
        out["train_seconds"] = float(train_seconds)
    return out


def flow_model_metrics(net, task, train_seconds=None):
    """Every column of 05's table for 01's CT-RNN run as a flow (:class:`lib.flow.FlowCTRNN`),
    by this module's protocol read for a flow: one-step error (:func:`lib.flow.flow_one_step_error`:
    one sample of the closed loop from each driven state) and valid prediction times
    (:func:`lib.flow.flow_valid_prediction_times`) on the test split; from each start state
    (the flow driven by ``WARMUP`` samples) the largest exponent of the flow, by the QR method
    on the exact tangent of its sample map (:func:`lib.flow.closed_sample_step`, leading
    ``N_LEADING`` directions, ``N_LYAP`` samples after ``N_LYAP_TRANSIENT``, per time unit),
    and a free run as long as the trajectory.  Same return format as
    :func:`rate_model_metrics`."""
    import copy
    from . import flow
    _, _, test = standardised_splits(task)
    vpt = flow.flow_valid_prediction_times(net, test)
    out = {"one_step_error": flow.flow_one_step_error(net, test),
           "valid_prediction_time": float(np.median(vpt)),
           "vpt_quartiles": [float(np.percentile(vpt, 25)), float(np.percentile(vpt, 75))]}
    net64 = copy.deepcopy(net).double().requires_grad_(False)
    z = standardised_trajectory(task)
    step = flow.closed_sample_step(net64)
    no_tangent = torch.zeros(net64.W.shape[0], 0, dtype=torch.float64)
    per = {"max_lyapunov": [], "state_space_divergence": [], "power_spectrum_distance": []}
    for off in START_OFFSETS:
        h0 = flow.flow_start_state(net64, z, WARMUP, off)
        lam = leading_lyapunov(lambda h: step(h, no_tangent)[0], lambda h, Q: step(h, Q)[1],
                               h0, N_LYAP, float(task["dt"]), n_transient=N_LYAP_TRANSIENT)
        per["max_lyapunov"].append(float(lam[0]))
        for key, value in attractor_measures(z, flow.flow_free_run(net64, h0, len(z))).items():
            per[key].append(value)
    out.update(summarise_starts(per))
    out["n_params"] = int(sum(p.numel() for p in net.parameters()))
    out["sign_consistency"] = sign_consistency_any(net.W)
    if train_seconds is not None:
        out["train_seconds"] = float(train_seconds)
    return out


def trained_balance_index(model, task):
    """Balance index of an E/I-type network on the task's standardised test input
    (:func:`lib.ei.trained_balance`); NaN when lib has no such measure."""
    try:
        from .ei import trained_balance
    except ImportError:
        return float("nan")
    _, _, test = standardised_splits(task, dtype=model.W_in.dtype)
    return float(trained_balance(model, test)["balance_index"])


def floor_initial_conditions(n=N_FLOOR, seed=FLOOR_SEED):
    """The floor's ``n`` initial conditions (n, 3): ``LORENZ_OTHER_X0`` first, then points
    drawn around the attractor (normal, std 8, centred on (0, 0, 25)) by a seeded NumPy
    generator."""
    rng = np.random.default_rng(seed)
    other = rng.normal(scale=8.0, size=(n - 1, 3)) + np.array([0.0, 0.0, 25.0])
    return np.vstack([np.array(LORENZ_OTHER_X0)[None], other])


@torch.no_grad()
def lorenz_trajectory(x0, n, dt, n_transient=LORENZ_TRANSIENT):
    """``n`` RK4 samples (n, 3) of Lorenz from ``x0`` after ``n_transient`` discarded steps
    (:func:`lib.analysis.lorenz_rk4_map`, float64), as 04 integrates them."""
    step, _ = lorenz_rk4_map(dt)
    x, out = torch.tensor(x0, dtype=torch.float64), []
    for k in range(n_transient + n):
        x = step(x)
        if k >= n_transient:
            out.append(x.numpy())
    return np.array(out)


def lorenz_reference(task, n=N_FLOOR):
    """The Lorenz-vs-Lorenz floor of each attractor measure, as 04 computes it: ``n``
    trajectories from :func:`floor_initial_conditions`, each as long as the task's and
    standardised, against the task's trajectory.  Returns the median of each measure with
    its per-trajectory values (``<measure>_starts``: the band a network inside of cannot be
    told from Lorenz).  The largest exponent is Lorenz's own; a valid prediction time has
    no meaning here."""
    z = standardised_trajectory(task)
    per = {"state_space_divergence": [], "power_spectrum_distance": []}
    for x0 in floor_initial_conditions(n):
        other = (lorenz_trajectory(x0, len(z), float(task["dt"])) - task["train_mean"]) \
            / task["train_std"]
        for key, value in attractor_measures(z, other).items():
            per[key].append(value)
    return {"max_lyapunov": LAMBDA_1, **summarise_starts(per)}


def seed_summary(per_seed):
    """``{metric: {"mean", "std", "min", "max", "values"}}`` over a list of metric dicts
    (population std, NaN-aware; a metric NaN in every seed gets NaN); list-valued entries
    (quartiles, per-start values) are left out."""
    out = {}
    for key in per_seed[0]:
        if isinstance(per_seed[0][key], (list, tuple)):
            continue
        v = np.array([np.nan if r.get(key) is None else float(r[key]) for r in per_seed])
        ok = v[np.isfinite(v)]
        stats = ((float(ok.mean()), float(ok.std()), float(ok.min()), float(ok.max()))
                 if len(ok) else (float("nan"),) * 4)
        out[key] = dict(zip(("mean", "std", "min", "max"), stats), values=v.tolist())
    return out
