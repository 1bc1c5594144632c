"""Hidden checks of 03_balanced_spiking_network (never handed to students)."""

import numpy as np
import torch

from grading.checks import (CheckFailed, Fixture, Global, Registry, SeededGenerator, StudentError,
                            expect, expect_close, expect_shape, expect_tensor, expect_unchanged,
                            first_passing, fixture_pair, held_out_lorenz, rng, tensor)

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 240, "notebook_timeout": 420, "call_timeout": 30}

# What the notebook tells students about the graded reservoir.
RESERVOIR_MAX_ERROR = 0.06      # one-step error (lib.spiking.one_step_error), standardised units
RESERVOIR_MAX_WASHOUT = 500     # samples
RESERVOIR_SAMPLES = 3000        # length of the held-out input
RESERVOIR_TIMEOUT = 120.0       # seconds for one call on 3000 samples
HELD_OUT_X0 = (-6.0, 3.0, 31.0)  # not the task's initial condition
RESERVOIR_CUT_SEED = 9031       # where the two held-out series part (drawn once, fixed)
RESERVOIR_KICK = 0.05           # displacement of the second series at the cut (original units)
RESERVOIR_CAUSAL_TOL = 1e-5     # predictions before the cut must agree to this (absolute)
RESERVOIR_PROBE = (0.8, 1.2)    # leak and gain of the stand-in spiking neuron
RESERVOIR_MIN_CHANGE = 0.01     # RMS change of the predictions it must cause
NEURON_NAMES = ("reservoir_neuron", "lif_step")  # the neuron steps a reservoir may use




def _expect_pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"{what}: expected a pair")
    return got


def _tols(dtype):
    return (1e-5, 1e-6) if dtype == torch.float32 else (1e-6, 1e-9)


# ---- lif_step -------------------------------------------------------------------------
def _norse_step(v, i_in, tau_m, v_rest, v_th, v_reset, dt):
    import norse.torch.functional.lif_box as box
    from lib.spiking import norse_lif_cell
    cell = norse_lif_cell(tau_m=tau_m, v_rest=v_rest, v_th=v_th, v_reset=v_reset, dt=dt,
                          dtype=v.dtype)
    with torch.no_grad():
        z, state = cell(i_in, box.LIFBoxFeedForwardState(v=v.clone()))
    return z, state.v


def _compare_lif(got, v, i_in, params, ref, what):
    z, v_new = _expect_pair(got, what)
    dtype = v.dtype
    expect_shape(z, v.shape, what + ", spikes z")
    expect_shape(v_new, v.shape, what + ", new voltage")
    expect_tensor(z, dtype, what + ", spikes z")
    expect_tensor(v_new, dtype, what + ", new voltage")
    z_ref, v_ref = ref.lif_step(v, i_in, *params)
    z_nrs, v_nrs = _norse_step(v, i_in, *params)
    # Spikes are compared where the voltage is not within rounding of the threshold.
    tau_m, v_rest, v_th, v_reset, dt = params
    v_free = (v + dt / tau_m * (v_rest - v + i_in)).double()
    clear = (v_free - v_th).abs() > (1e-4 if dtype == torch.float32 else 1e-10)
    for want_z, source in ((z_ref, "the expected spikes"), (z_nrs, "norse's LIFBoxCell")):
        bad = (z.double() != want_z.double()) & clear
        expect(not bool(bad.any()),
               f"{what}: the spikes z differ from {source} in {int(bad.sum())} of "
               f"{z.numel()} entries")
    rtol, atol = _tols(dtype)
    expect_close(v_new[clear], v_ref[clear], what + ", new voltage (spiking neurons reset, "
                 "the others integrated)", rtol=rtol, atol=atol)
    expect_close(v_new[clear], v_nrs[clear], what + ", new voltage compared with norse's "
                 "LIFBoxCell (v_leak = v_rest, tau_mem_inv = 1/tau_m)", rtol=rtol, atol=atol)


# A voltage that lands exactly on the threshold (all numbers exact in binary):
# tau_m = 2**-6, dt = 2**-10, so dt/tau_m = 1/16; v_rest = 0.5, v_th = 1.25.  ``spikes`` is
# what the reference gives (tests/science/test_hidden_inputs.py checks it, not the grader).
THRESHOLD_CASE = {"params": dict(tau_m=2.0 ** -6, v_rest=0.5, v_th=1.25, v_reset=-0.25, dt=2.0 ** -10),
                  "v": [1.0, 1.25, 1.0, 1.0, 0.0],
                  "i_in": [4.5, 0.75, 4.5 + 2.0 ** -12, 4.5 - 2.0 ** -12, 20.5],
                  "spikes": [0.0, 0.0, 1.0, 0.0, 1.0]}


@QUESTIONS.question("lif_step", points=2)
def lif_step(sub, ref):
    params = (0.02, 0.2, 1.1, -0.3, 2e-3)   # tau_m, v_rest, v_th, v_reset, dt
    for seed, dtype in ((301, torch.float64), (302, torch.float32)):
        g = rng(seed)
        v = tensor(g.uniform(-0.5, 1.3, size=(4, 5, 6)), dtype)
        i_in = tensor(g.normal(1.5, 8.0, size=(4, 5, 6)), dtype)
        what = (f"lif_step(v, i_in, tau_m=0.02, v_rest=0.2, v_th=1.1, v_reset=-0.3, dt=2e-3) "
                f"on a batch of shape (4, 5, 6) in {dtype}")
        got, reply = sub.call("lif_step", v, i_in, *params, return_args=True)
        _compare_lif(got, v, i_in, params, ref, what)
        expect_unchanged([v, i_in], reply["args"], "lif_step")
    # keyword arguments and the defaults
    g = rng(303)
    v = tensor(g.uniform(-0.2, 1.0, size=(50,)), torch.float64)
    i_in = tensor(g.normal(2.0, 10.0, size=(50,)), torch.float64)
    got = sub.call("lif_step", v, i_in)
    _compare_lif(got, v, i_in, (0.01, 0.0, 1.0, 0.0, 1e-3), ref,
                 "lif_step(v, i_in) with the default parameters on a vector of 50 neurons")
    got = sub.call("lif_step", v, i_in, v_th=0.8, v_reset=0.1, tau_m=0.005)
    _compare_lif(got, v, i_in, (0.005, 0.0, 0.8, 0.1, 1e-3), ref,
                 "lif_step(v, i_in, v_th=0.8, v_reset=0.1, tau_m=0.005) (keyword arguments)")
    exact, v_list, i_list = (THRESHOLD_CASE[k] for k in ("params", "v", "i_in"))
    for dtype in (torch.float64, torch.float32):
        v = torch.tensor(v_list, dtype=dtype)
        i_in = torch.tensor(i_list, dtype=dtype)
        got = sub.call("lif_step", v, i_in, **exact)
        z, v_new = _expect_pair(got, "lif_step at the threshold")
        z_ref, v_ref = ref.lif_step(v, i_in, **exact)
        what = (f"lif_step with tau_m=2**-6, dt=2**-10, v_rest=0.5, v_th=1.25, v_reset=-0.25 "
                f"({dtype}) on inputs that bring v' exactly to v_th = 1.25, slightly above "
                f"and slightly below it")
        expect_close(z, z_ref, what + ": spikes (a neuron exactly at the threshold does "
                     "not fire; only v' > v_th does)", rtol=0, atol=0)
        expect_close(v_new, v_ref, what + ": new voltage (v' of a neuron exactly at the "
                     "threshold is kept, a neuron that fires is reset to v_reset)",
                     rtol=1e-6, atol=1e-6)


# ---- sparse_ei_weights ----------------------------------------------------------------
def _default_dtype(sub):
    try:
        d = sub.call(Global("torch").get_default_dtype)
        return str(d).replace("torch.", "")
    except CheckFailed:
        return None


@QUESTIONS.question("sparse_ei_weights", points=2)
def sparse_ei_weights(sub, ref):
    n_exc, n_inh, p, w, g = 160, 40, 0.2, 0.3, 4.5
    n = n_exc + n_inh
    what = f"sparse_ei_weights({n_exc}, {n_inh}, p={p}, w_exc={w}, g={g}, generator)"
    W = sub.call("sparse_ei_weights", n_exc, n_inh, p, w, g, SeededGenerator(7))
    expect(isinstance(W, torch.Tensor), f"{what}: expected a torch tensor, got "
                                         f"{type(W).__name__}")
    expect_shape(W, (n, n), what)
    default = _default_dtype(sub)
    if default is not None:
        expect(str(W.dtype).replace("torch.", "") == default,
               f"{what}: expected the default dtype torch.{default}, got {W.dtype}")
    expect(W.dtype.is_floating_point, f"{what}: expected a floating-point tensor")
    A = W.double().numpy()
    expect(bool(np.all(np.diag(A) == 0)), f"{what}: the diagonal must be zero (no autapses)")
    E, I = A[:, :n_exc], A[:, n_exc:]
    expect(bool(np.all(np.isclose(E, 0, atol=1e-7) | np.isclose(E, w, rtol=1e-6))),
           f"{what}: every entry of an excitatory column (presynaptic j < n_exc) must be 0 "
           f"or w_exc = {w}")
    expect(bool(np.all(np.isclose(I, 0, atol=1e-7) | np.isclose(I, -g * w, rtol=1e-6))),
           f"{what}: every entry of an inhibitory column (presynaptic j >= n_exc) must be 0 "
           f"or -g*w_exc = {-g * w:.3g}")
    mask = A != 0
    off = ~np.eye(n, dtype=bool)
    for name, block in (("all off-diagonal", off),
                        ("excitatory columns", off & (np.arange(n) < n_exc)[None, :]),
                        ("inhibitory columns", off & (np.arange(n) >= n_exc)[None, :])):
        m = block.sum()
        dens = mask[block].mean()
        sigma = np.sqrt(p * (1 - p) / m)
        expect(abs(dens - p) < 5 * sigma,
               f"{what}: the fraction of nonzero entries among the {name} entries is "
               f"{dens:.3f}, expected close to p = {p}")
    var_expected = (n - 1) * p * (1 - p)
    for axis, name in ((1, "row (in-degree)"), (0, "column (out-degree)")):
        ratio = mask.sum(axis).var() / var_expected
        expect(0.6 < ratio < 1.6,
               f"{what}: the number of connections per {name} should vary as for "
               f"independent connections (binomial variance {var_expected:.1f}); its "
               f"variance is {mask.sum(axis).var():.1f}")
    both = (mask & mask.T)[off].mean()
    m = off.sum() / 2
    expect(abs(both - p * p) < 5 * np.sqrt(p * p * (1 - p * p) / m),
           f"{what}: W[i, j] and W[j, i] should be present independently (found both in "
           f"a fraction {both:.3f} of pairs, expected about p**2 = {p * p:.3f})")
    # E and I connections drawn independently: no inhibitory column (row) repeats the
    # pattern of an excitatory one.  Independent ones share about a fraction p of the
    # connections of the sparser of the two (at most about half here); a reused draw shares
    # nearly all of them.
    M = mask.astype(np.float64)
    for axis, label in ((0, "column"), (1, "row")):
        E_part = M[:, :n_exc] if axis == 0 else M[:n_exc].T
        I_part = M[:, n_exc:] if axis == 0 else M[n_exc:].T
        shared = E_part.T @ I_part            # connections present in both, per E/I pair
        fewer = np.minimum(E_part.sum(0)[:, None], I_part.sum(0)[None, :])
        overlap = float(np.max(shared / np.maximum(fewer, 1)))
        expect(overlap <= 0.75,
               f"{what}: an inhibitory {label} repeats {100 * overlap:.0f} % of the "
               f"connections of an excitatory {label} (independent ones share about "
               f"{100 * p:.0f} %): every entry, E or I, must be drawn independently")
    W2 = sub.call("sparse_ei_weights", n_exc, n_inh, p, w, g, SeededGenerator(7))
    expect(isinstance(W2, torch.Tensor) and torch.equal(W2, W),
           f"{what}: two calls with generators seeded alike must give the same matrix "
           "(draw only from the generator argument, not from the global random state)")
    W3 = sub.call("sparse_ei_weights", n_exc, n_inh, p, w, g, SeededGenerator(8))
    expect(isinstance(W3, torch.Tensor) and not torch.equal(W3, W),
           f"{what}: generators with different seeds should give different matrices")
    # drawn from the generator itself: a second call with the same generator continues its
    # stream (a new matrix), as any draw from a generator does
    gen = sub.call(Global("torch").Generator, keep="sparse_ei_generator")
    sub.call(gen.manual_seed, 7)
    W4 = sub.call("sparse_ei_weights", n_exc, n_inh, p, w, g, gen)
    W5 = sub.call("sparse_ei_weights", n_exc, n_inh, p, w, g, gen)
    expect(isinstance(W4, torch.Tensor) and torch.equal(W4, W),
           f"{what}: with a generator seeded with 7 kept by the grader, the first call must "
           "give the matrix of a fresh generator seeded with 7")
    expect(isinstance(W5, torch.Tensor) and not torch.equal(W5, W4),
           f"{what}: two calls with one generator gave the same matrix: draw the connections "
           "from the generator (its state advances), not from a new generator seeded with "
           "its initial seed")
    # p = 1 and p = 0 on a small network: every / no off-diagonal connection.
    for pp in (1.0, 0.0):
        got = sub.call("sparse_ei_weights", 4, 2, pp, 0.5, 3.0, SeededGenerator(3))
        col = np.array([0.5] * 4 + [-1.5] * 2)
        want = (np.ones((6, 6)) - np.eye(6)) * col[None, :] * pp
        expect_close(got, want, f"sparse_ei_weights(4, 2, p={pp}, w_exc=0.5, g=3.0, generator)",
                     rtol=1e-6, atol=1e-7)


# ---- run_lif_network ------------------------------------------------------------------
def _free_margins(i_ext, W, step_params, v0, probe=None):
    """Per step: smallest distance of the integrated voltage to the threshold (reference
    dynamics, or the probe's), used to ignore rounding-sensitive steps."""
    tau_m, v_th, v_reset, dt = step_params
    T, n = i_ext.shape
    v = torch.zeros(n, dtype=i_ext.dtype) if v0 is None else v0.clone()
    z = torch.zeros(n, dtype=i_ext.dtype)
    margins = []
    for t in range(T):
        i_t = i_ext[t] + W @ z
        if probe is None:
            v_free = v + dt / tau_m * (-v + i_t)
        else:
            leak, gain = probe
            v_free = v + dt / tau_m * (leak * (0.0 - v) + gain * i_t)
        margins.append(float((v_free - v_th).abs().min()))
        z = (v_free > v_th).to(i_ext.dtype)
        v = torch.where(v_free > v_th, torch.full_like(v_free, v_reset), v_free)
    return np.array(margins)


def _network_case(seed, dtype, T=160, n=40):
    g = rng(seed)
    i_ext = tensor(g.normal(0.6, 2.5, size=(T, n)), dtype)
    W = tensor(g.normal(0.0, 0.8, size=(n, n)) * (g.random((n, n)) < 0.3), dtype)
    v0 = tensor(g.uniform(-0.3, 1.0, size=n), dtype)
    return i_ext, W, v0


def _compare_spikes(got, want, margins, dtype, what):
    expect(isinstance(got, torch.Tensor), f"{what}: expected a torch tensor, got "
                                          f"{type(got).__name__}")
    expect_shape(got, want.shape, what)
    expect(got.dtype == dtype, f"{what}: expected spikes in the dtype of i_ext ({dtype}), "
                               f"got {got.dtype}")
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    unsure = np.flatnonzero(margins < tol)
    upto = int(unsure[0]) if unsure.size else want.shape[0]
    bad = (got[:upto].double() != want[:upto].double()).any(1).numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CheckFailed(f"{what}: the spikes differ from the expected ones, first at "
                          f"time step t = {first}")


# (seed, dtype, (tau_m, v_th, v_reset, dt), with v0): networks that fire at a moderate rate
# (tests/science/test_hidden_inputs.py checks that they do, not the grader)
NETWORK_CASES = [
    (401, torch.float64, (0.02, 1.2, -0.2, 2e-3), True),
    (402, torch.float32, (0.01, 1.0, 0.0, 1e-3), False),
    (404, torch.float64, (0.01, 1.0, 0.0, 1e-3), False),
]


@QUESTIONS.question("run_lif_network", points=2)
def run_lif_network(sub, ref):
    probe = (0.5, 1.3)
    probe_fx, probe_step = fixture_pair("probe_lif", leak=probe[0], gain=probe[1])
    for seed, dtype, params, with_v0 in NETWORK_CASES:
        i_ext, W, v0 = _network_case(seed, dtype)
        if with_v0:
            args = (i_ext, W, *params, v0)
            desc = ("tau_m=0.02, v_th=1.2, v_reset=-0.2, dt=2e-3, v0) with random initial "
                    "voltages v0,")
        else:
            args, v0 = (i_ext, W), None
            desc = ") with the default parameters,"
        what = (f"run_lif_network(i_ext, W_rec{', ' if with_v0 else ''}{desc} i_ext of "
                f"shape {tuple(i_ext.shape)} in {dtype} and a random non-symmetric W_rec")

        def attempt(swap, want, margins):
            got, reply = sub.call("run_lif_network", *args, swap=swap, return_args=True)
            _compare_spikes(got, want, margins, dtype, what)
            expect_unchanged(args, reply["args"], "run_lif_network")

        first_passing(
            lambda: attempt(None, ref.run_lif_network(*args), _free_margins(i_ext, W, params, v0)),
            # maybe only lif_step is wrong: run_lif_network with a known neuron step
            lambda: attempt({"lif_step": probe_fx}, ref.run_lif_network(*args, step=probe_step),
                            _free_margins(i_ext, W, params, v0, probe=probe)))


# ---- ridge_regression -----------------------------------------------------------------
@QUESTIONS.question("ridge_regression", points=2)
def ridge_regression(sub, ref):
    g = rng(601)
    cases = []
    # Large offsets and a large penalty: a penalised bias would be far off.
    X = g.normal(size=(200, 6)) * g.uniform(0.5, 3.0, 6) + g.uniform(4.0, 9.0, 6)
    Y = X @ g.normal(size=(6, 3)) + np.array([10.0, -7.0, 3.0]) + 0.3 * g.normal(size=(200, 3))
    cases.append((torch.float64, X, Y, 80.0, 1e-7))
    X = g.normal(size=(60, 4)) + 2.0
    Y = X @ g.normal(size=(4, 1)) - 5.0 + 0.1 * g.normal(size=(60, 1))
    cases.append((torch.float64, X, Y, 0.0, 1e-7))
    X = g.normal(size=(100, 5)) * 2.0 + 3.0
    Y = X @ g.normal(size=(5, 2)) + 4.0 + 0.2 * g.normal(size=(100, 2))
    cases.append((torch.float32, X, Y, 30.0, 1e-3))  # conditioning: cond(X^T X) ~ 20
    for dtype, X, Y, alpha, rtol in cases:
        Xt, Yt = tensor(X, dtype), tensor(Y, dtype)
        what = (f"ridge_regression(X, Y, alpha={alpha}) with X of shape {tuple(X.shape)} "
                f"(features with large nonzero means), Y of shape {tuple(Y.shape)}, in {dtype}")
        got, reply = sub.call("ridge_regression", Xt, Yt, alpha, return_args=True)
        W, b = _expect_pair(got, what)
        W_ref, b_ref = ref.ridge_regression(Xt.double(), Yt.double(), alpha)
        expect_tensor(W, dtype, what + ", W")
        expect_tensor(b, dtype, what + ", b")
        expect_shape(W, W_ref.shape, what + ", W")
        expect_shape(b, b_ref.shape, what + ", b")
        expect_close(W, W_ref, what + ", W (only W is penalised, not the bias)",
                     rtol=rtol, atol=rtol)
        expect_close(b, b_ref, what + ", b (the bias is not penalised)", rtol=rtol,
                     atol=rtol * 10)
        expect_unchanged([Xt, Yt], reply["args"], "ridge_regression")


# ---- the fitted reservoir -------------------------------------------------------------
# The reservoir question grades three things, all stated in the notebook:
# 1. accuracy: one-step error <= RESERVOIR_MAX_ERROR on held-out data after the washout;
# 2. causality: two held-out series that share a prefix and differ after a cut (the second
#    continues the Lorenz flow from a slightly displaced state, so nothing marks it as a
#    probe; both are also graded for accuracy) must get identical predictions before the cut;
# 3. the spiking network does the work: with the neuron step (the notebook's
#    ``reservoir_neuron``, and ``lif_step`` for a reservoir simulated with it) replaced during
#    one call by a neuron that never fires, the error must exceed the threshold (the readout
#    of the same inputs without spikes is not good enough), and with both replaced by another
#    spiking neuron the predictions must change.  A predictor that never runs the network
#    (persistence, linear extrapolation, a linear autoregression, a polynomial ridge) fails.
def _held_out(ref, n_samples, x0=HELD_OUT_X0):
    return held_out_lorenz(ref, x0, n_samples, standardised=False)


def _held_out_pair(ref, n_samples, washout):
    """Two standardised series of ``n_samples``: equal before ``cut``, then the second
    follows the Lorenz flow from a state displaced by RESERVOIR_KICK (original units)."""
    traj, task = _held_out(ref, n_samples)
    g = rng(RESERVOIR_CUT_SEED)
    cut = int(g.integers(washout + 200, n_samples - 200))
    kick = g.normal(size=3)
    kick *= RESERVOIR_KICK / np.linalg.norm(kick)
    tail = ref.simulate(ref.lorenz_rhs, traj[cut] + kick, float(task["dt"]), n_samples - cut - 1)
    other = np.concatenate([traj[:cut], tail])
    std = lambda a: (a - task["train_mean"]) / task["train_std"]  # noqa: E731
    return std(traj), std(other), cut


def _rms(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def _predict(sub, u, what, swap=None):
    from grading.checks import as_numpy
    got = sub.call("reservoir_predict", torch.as_tensor(u, dtype=torch.float32), swap=swap,
                   timeout=RESERVOIR_TIMEOUT)
    expect_shape(got, (len(u), 3), what)
    return as_numpy(got, what)


@QUESTIONS.question("reservoir", points=3)
def reservoir(sub, ref):
    try:
        washout = sub.call(Global("reservoir_washout", "__index__"))
    except StudentError as e:
        raise CheckFailed("reservoir_washout must be an integer (a number of samples), "
                          f"reading it failed: {e}") from None
    expect(isinstance(washout, int) and 0 <= washout <= RESERVOIR_MAX_WASHOUT,
           f"reservoir_washout must be an integer between 0 and {RESERVOIR_MAX_WASHOUT}, "
           f"got {washout!r}")
    n = RESERVOIR_SAMPLES
    u_a, u_b, cut = _held_out_pair(ref, n, washout)
    what = (f"reservoir_predict(u_seq) on held-out standardised Lorenz input of shape "
            f"({n}, 3) (float32, another initial condition)")
    p_a = _predict(sub, u_a, what)
    p_b = _predict(sub, u_b, what + " (a second held-out series)")
    errors = []
    for p, u in ((p_a, u_a), (p_b, u_b)):
        expect(bool(np.all(np.isfinite(p))), f"{what}: the predictions contain NaN or inf")
        err = ref.spiking.one_step_error(p, u, washout)
        persistence = ref.spiking.one_step_error(u, u, washout)
        expect(err <= RESERVOIR_MAX_ERROR,
               f"{what}: the one-step error after the washout of {washout} samples is "
               f"{err:.4f}, the notebook's threshold is {RESERVOIR_MAX_ERROR} (persistence, "
               f"x_(t+1) = x_t, scores {persistence:.3f})")
        errors.append(err)
    # Causality: the two series are equal up to cut - 1, so must be the predictions.
    gap = float(np.max(np.abs(p_a[:cut] - p_b[:cut])))
    expect(gap <= RESERVOIR_CAUSAL_TOL,
           "reservoir_predict must be causal: its prediction at time t may depend on "
           "u_seq[:t+1] only, but two held-out series that agree up to a time t0 and "
           f"differ afterwards got predictions that differ before t0 (by up to {gap:.2e})")
    # ... at a horizon of one sample: a small displacement at the cut rarely changes a spike
    # at that very sample, so a prediction reading the spikes one sample ahead (a centred
    # smoothing of the traces) would pass the pair.  The series cut at t0 has nothing after
    # t0 - 1 at all: its predictions must be those of the whole series, the last one too.
    what_cut = (f"reservoir_predict(u_seq[:{cut}]) (the same held-out series, ending at "
                f"t0 = {cut})")
    p_c = _predict(sub, u_a[:cut], what_cut)
    gap = float(np.max(np.abs(p_c - p_a[:cut]))) if np.all(np.isfinite(p_c)) else np.inf
    last = float(np.max(np.abs(p_c[-1] - p_a[cut - 1]))) if np.isfinite(gap) else np.inf
    expect(gap <= RESERVOIR_CAUSAL_TOL,
           "reservoir_predict must be causal: its prediction at time t may depend on "
           "u_seq[:t+1] only (not on the input or the spikes at t+1), but on a held-out "
           f"series and on the same series ending at t0 = {cut} its predictions up to t0 - 1 "
           f"differ by up to {gap:.2e} (at t0 - 1: {last:.2e})")
    # The network must do the work: silence it, then change its neurons.  Only predictions
    # the grader can score count: a call that raises or returns NaN/inf under a stand-in
    # neuron shows nothing about the network (a predictor may raise when it notices the
    # swap), so it fails the question.
    silent_what = (f"{what}, with the neurons (reservoir_neuron and lif_step) replaced during "
                   "the call by a neuron that never fires")
    silent = {name: Fixture("silent_lif") for name in NEURON_NAMES}
    p_s = _probe_predict(sub, u_a, silent_what, silent)
    err_s = ref.spiking.one_step_error(p_s, u_a, washout)
    expect(err_s > RESERVOIR_MAX_ERROR,
           f"{silent_what}: the error is still {err_s:.4f} (with the network running: "
           f"{errors[0]:.4f}); without spikes it must be above the threshold "
           f"{RESERVOIR_MAX_ERROR}. The reservoir's accuracy must come from the spiking network, "
           "its neurons advanced by the notebook's reservoir_neuron or lif_step (see the notebook)")
    probe_what = (f"{what}, with the neurons (reservoir_neuron and lif_step) replaced during "
                  "the call by another spiking neuron (different leak and gain)")
    probe = {name: Fixture("probe_lif", leak=RESERVOIR_PROBE[0], gain=RESERVOIR_PROBE[1])
             for name in NEURON_NAMES}
    p_p = _probe_predict(sub, u_a, probe_what, probe)
    change = _rms(p_p[washout:], p_a[washout:])
    expect(change >= RESERVOIR_MIN_CHANGE,
           f"{probe_what}: the predictions changed by only {change:.4f} (RMS); they must "
           "depend on the spikes of the network, its neurons advanced by the notebook's "
           "reservoir_neuron or lif_step")


def _probe_predict(sub, u, what, swap):
    """Predictions with the neurons swapped, which must be finite numbers: the grader
    scores them itself, never the submission's reaction to the swap."""
    try:
        p = _predict(sub, u, what, swap=swap)
    except StudentError as e:
        raise CheckFailed(f"{what}: the call {e}; with its neurons replaced the reservoir must "
                          "still run and predict (from whatever spikes the neurons give), so "
                          "that the grader can see the spiking network does the work") from None
    expect(bool(np.all(np.isfinite(p))),
           f"{what}: the predictions contain NaN or inf; with its neurons replaced the "
           "reservoir must still predict finite numbers (from whatever spikes the neurons "
           "give), so that the grader can see the spiking network does the work")
    return p
