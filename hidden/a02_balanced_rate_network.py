"""Hidden checks of 02_balanced_rate_network (never handed to students)."""

import math

import numpy as np
import torch

from grading.checks import (CheckFailed, Fixture, Global, Handle, Registry, SeededGenerator,
                            as_numpy, expect, expect_close, expect_not_shipped,
                            expect_raises, expect_shape, expect_tensor,
                            expect_trained_parameters, expect_unchanged, first_passing,
                            held_out_lorenz, load_parameters, matching, rng, tensor,
                            trained_units)

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 240, "notebook_timeout": 420, "call_timeout": 30}

# What the notebook tells students about the graded model.
EI_MODEL_MAX_ONE_STEP = 0.05
EI_MODEL_MIN_VPT = 1.0
EI_MODEL_MAX_BALANCE = 0.3     # the balanced regime (issue 22): stated in the notebook


def _is_tensor(x):
    return isinstance(x, torch.Tensor)


def _expect_raises_value_error(sub, what, *args):
    expect_raises(lambda: sub.call("balanced_weights", *args), "ValueError", what)


# ---- the notebook's default dtype ---------------------------------------------------------
def _torch(attr):
    return Global("torch", attr)


def _default_dtype(sub):
    """The default dtype of the notebook's process (a notebook may change it)."""
    return sub.call(_torch("get_default_dtype"))


class _DefaultDtype:
    """Calls made inside ``with _DefaultDtype(sub, dtype):`` run with the worker's default
    dtype set to ``dtype``; the notebook's own default is restored afterwards."""

    def __init__(self, sub, dtype):
        self.sub, self.dtype = sub, dtype

    def __enter__(self):
        self.saved = _default_dtype(self.sub)
        self.sub.call(_torch("set_default_dtype"), self.dtype)

    def __exit__(self, *exc):
        self.sub.call(_torch("set_default_dtype"), self.saved)


def _other_float(dtype):
    return torch.float32 if dtype == torch.float64 else torch.float64


def _expect_default_dtype(got, dtype, what):
    expect(got.dtype == dtype, f"{what}: expected the default dtype of the notebook's process "
                               f"({dtype}), got {got.dtype}")


# ---- apply_dale ---------------------------------------------------------------------------
@QUESTIONS.question("apply_dale", points=2)
def apply_dale(sub, ref):
    g = rng(2101)
    W = g.normal(size=(5, 7))           # rows: postsynaptic, columns: presynaptic
    s = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    for dtype, rtol in ((torch.float64, 1e-12), (torch.float32, 1e-6)):
        what = (f"apply_dale(W_raw, signs) with a {dtype} W_raw of shape (5, 7) holding "
                "positive and negative entries and signs of length 7")
        Wt, st = tensor(W, dtype), tensor(s, dtype)
        got, reply = sub.call("apply_dale", Wt, st, return_args=True)
        expect_tensor(got, dtype, what)
        expect_close(got, ref.apply_dale(Wt, st), what, rtol=rtol, atol=0)
        expect_unchanged([Wt, st], reply["args"], "apply_dale")
    # every column must carry its sign whatever W_raw holds
    W2 = tensor(-np.abs(g.normal(size=(4, 4))), torch.float64)
    s2 = tensor([-1.0, 1.0, -1.0, 1.0], torch.float64)
    got = sub.call("apply_dale", W2, s2)
    expect_close(got, ref.apply_dale(W2, s2),
                 "apply_dale(W_raw, signs) with an all-negative W_raw of shape (4, 4) and "
                 "signs (-1, 1, -1, 1): column j must have the sign signs[j]", rtol=1e-12, atol=0)


# ---- balanced_weights ---------------------------------------------------------------------
def _check_structure(W, n_exc, n_inh, K, J, g, what, dtype):
    N = n_exc + n_inh
    expect(_is_tensor(W), f"{what}: expected a torch tensor, got {type(W).__name__}")
    _expect_default_dtype(W, dtype, what)
    expect_shape(W, (N, N), what)
    W = W.double()
    expect(bool(torch.all(torch.diagonal(W) == 0)),
           f"{what}: a neuron must never connect to itself (the diagonal must be zero)")
    wE, wI = J / math.sqrt(K), -g * J / math.sqrt(K)
    E, I = W[:, :n_exc], W[:, n_exc:]
    nzE, nzI = (E != 0).sum(dim=1), (I != 0).sum(dim=1)
    expect(bool(torch.all(nzE == K)),
           f"{what}: every row must have exactly K={K} nonzero entries in the excitatory "
           f"columns (found counts between {int(nzE.min())} and {int(nzE.max())})")
    expect(bool(torch.all(nzI == K)),
           f"{what}: every row must have exactly K={K} nonzero entries in the inhibitory "
           f"columns (found counts between {int(nzI.min())} and {int(nzI.max())})")
    expect(bool(torch.allclose(E[E != 0], torch.full_like(E[E != 0], wE), rtol=1e-6, atol=0)),
           f"{what}: the nonzero excitatory weights must all equal J/sqrt(K)")
    expect(bool(torch.allclose(I[I != 0], torch.full_like(I[I != 0], wI), rtol=1e-6, atol=0)),
           f"{what}: the nonzero inhibitory weights must all equal -g*J/sqrt(K)")
    return W


@QUESTIONS.question("balanced_weights", points=3)
def balanced_weights(sub, ref):
    torch_seed = _torch("manual_seed")   # the notebook's global RNG
    default = _default_dtype(sub)

    # structure, with K at its largest allowed value (min(n_exc, n_inh) - 1) and at its
    # smallest (K = 1, here also min(n_exc, n_inh) - 1)
    for n_exc, n_inh, K, J, g in ((30, 12, 5, 0.8, 1.7), (30, 12, 11, 1.3, 2.5),
                                  (9, 16, 8, 0.5, 1.2), (6, 2, 1, 0.9, 2.0)):
        what = f"balanced_weights({n_exc}, {n_inh}, K={K}, J={J}, g={g}, generator)"
        W = sub.call("balanced_weights", n_exc, n_inh, K, J, g, SeededGenerator(31 + K))
        _check_structure(W, n_exc, n_inh, K, J, g, what, default)

    # reproducible with the generator alone, whatever the global RNG state
    what = "balanced_weights(40, 20, 6, 1.0, 2.0, generator)"
    try:
        sub.call(torch_seed, 123)
    except CheckFailed:
        pass
    W1 = sub.call("balanced_weights", 40, 20, 6, 1.0, 2.0, SeededGenerator(5))
    try:
        sub.call(torch_seed, 987)
    except CheckFailed:
        pass
    W2 = sub.call("balanced_weights", 40, 20, 6, 1.0, 2.0, SeededGenerator(5))
    _check_structure(W1, 40, 20, 6, 1.0, 2.0, what, default)
    expect(bool(torch.equal(W1, W2)),
           f"{what}: two calls with generators seeded alike must give the same matrix, "
           "whatever the state of torch's global random generator (draw only from generator)")
    W3 = sub.call("balanced_weights", 40, 20, 6, 1.0, 2.0, SeededGenerator(6))
    expect(not torch.equal(W1, W3),
           f"{what}: generators with different seeds gave the same matrix "
           "(partners must be drawn at random with the generator)")

    # partners drawn at random: how often each presynaptic neuron is chosen
    n_exc, n_inh, K = 200, 50, 10
    what = f"balanced_weights({n_exc}, {n_inh}, K={K}, J=1, g=1.5, generator)"
    W = sub.call("balanced_weights", n_exc, n_inh, K, 1.0, 1.5, SeededGenerator(77))
    W = _check_structure(W, n_exc, n_inh, K, 1.0, 1.5, what, default)
    N = n_exc + n_inh
    for cols, n_pop, label in ((slice(0, n_exc), n_exc, "excitatory"),
                               (slice(n_exc, N), n_inh, "inhibitory")):
        counts = (W[:, cols] != 0).sum(dim=0).double()
        p = K / (n_pop - 1)
        var_binom = N * p * (1 - p)
        ratio = float(counts.var()) / var_binom
        expect(0.3 < ratio < 3.0,
               f"{what}: the number of postsynaptic targets of each {label} neuron should "
               "vary as for partners drawn uniformly at random without replacement (its "
               f"variance is {ratio:.2f} times the expected one)")

    # E and I partners drawn independently, each population excluding only the neuron
    # itself: row i's excitatory partners (indices j) and inhibitory ones (n_exc + j) must
    # not repeat the same j, and I neuron n_exc + i must be a possible partner of E neuron i
    # (and E neuron i of I neuron n_exc + i).  Expected: overlap K*K/n_pop = 2 per row,
    # 20 such "diagonal" pairs in all; reused draws give an overlap near K, a shared
    # exclusion none at all.
    n_pop, K = 50, 10
    what = f"balanced_weights({n_pop}, {n_pop}, K={K}, J=1, g=1.5, generator)"
    W = sub.call("balanced_weights", n_pop, n_pop, K, 1.0, 1.5, SeededGenerator(91))
    W = _check_structure(W, n_pop, n_pop, K, 1.0, 1.5, what, default)
    E, I = W[:, :n_pop] != 0, W[:, n_pop:] != 0
    overlap = float((E & I).sum(dim=1).double().mean())
    expect(overlap < K / 2,
           f"{what}: the inhibitory partners of a neuron repeat the positions of its "
           f"excitatory partners ({overlap:.1f} of {K} on average): draw them separately")
    cross = int(torch.diagonal(I[:n_pop]).sum()) + int(torch.diagonal(E[n_pop:]).sum())
    expect(cross >= 5,
           f"{what}: excitatory neuron i never receives input from inhibitory neuron "
           "n_exc + i (or inhibitory neuron n_exc + i from excitatory neuron i): only the "
           "neuron itself is excluded, within its own population")
    # every presynaptic neuron is a possible partner of every other neuron: here each is
    # expected to reach 16 to 25 of the 50 E and of the 40 I neurons (a column without any
    # target in a population has a probability below 1e-9), so a neuron excluded from the
    # candidates of a whole population (the "without myself" step applied to the wrong
    # block) shows as a column with no target there
    n_exc, n_inh, K = 50, 40, 20
    what = f"balanced_weights({n_exc}, {n_inh}, K={K}, J=1, g=1.5, generator)"
    W = sub.call("balanced_weights", n_exc, n_inh, K, 1.0, 1.5, SeededGenerator(61))
    W = _check_structure(W, n_exc, n_inh, K, 1.0, 1.5, what, default)
    N = n_exc + n_inh
    for rows, post in ((slice(0, n_exc), "excitatory"), (slice(n_exc, N), "inhibitory")):
        targets = (W[rows] != 0).sum(dim=0)
        for cols, pre in ((range(0, n_exc), "excitatory"), (range(n_exc, N), "inhibitory")):
            lonely = [j for j in cols if int(targets[j]) == 0]
            expect(not lonely,
                   f"{what}: {pre} neuron {lonely[0] if lonely else ''} is never chosen as a "
                   f"partner by any {post} neuron; every neuron other than the postsynaptic "
                   "one itself must be a possible partner (the neuron itself is excluded "
                   "within its own population only)")
    other = _other_float(default)
    with _DefaultDtype(sub, other):
        W = sub.call("balanced_weights", 9, 6, 2, 1.0, 2.0, SeededGenerator(3))
    _check_structure(W, 9, 6, 2, 1.0, 2.0,
                     f"balanced_weights(9, 6, K=2, ...) called while the default dtype is {other}",
                     other)

    # impossible K
    _expect_raises_value_error(sub, "balanced_weights(10, 6, K=0, ...)", 10, 6, 0, 1.0, 2.0,
                               SeededGenerator(1))
    _expect_raises_value_error(sub, "balanced_weights(10, 6, K=6, ...) (K = min(n_exc, n_inh))",
                               10, 6, 6, 1.0, 2.0, SeededGenerator(1))
    _expect_raises_value_error(sub, "balanced_weights(5, 9, K=5, ...) (K = min(n_exc, n_inh))",
                               5, 9, 5, 1.0, 2.0, SeededGenerator(1))


# ---- ei_rate_rhs --------------------------------------------------------------------------
@QUESTIONS.question("ei_rate_rhs", points=2)
def ei_rate_rhs(sub, ref):
    g = rng(2301)
    nE, nI = 6, 4
    r_E = g.uniform(0, 2, size=(2, 3, nE))
    r_I = g.uniform(0, 1, size=(2, 3, nI))
    W_EE = g.uniform(0.2, 1.0, size=(nE, nE))
    W_EI = g.uniform(0.0, 0.6, size=(nE, nI))
    W_IE = g.uniform(0.3, 1.0, size=(nI, nE))
    W_II = g.uniform(0.0, 0.5, size=(nI, nI))
    I_ext = g.normal(0.5, 1.0, size=(2, 3, nE))
    for dtype, rtol, atol in ((torch.float64, 1e-12, 1e-12), (torch.float32, 1e-4, 1e-5)):
        args = [tensor(a, dtype) for a in (r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext)]
        for phi_name in ("tanh", None):
            what = (f"ei_rate_rhs on {dtype} rates of shapes (2, 3, {nE}) and (2, 3, {nI}), "
                    f"W_EE ({nE}, {nE}), W_EI ({nE}, {nI}), W_IE ({nI}, {nE}), W_II ({nI}, {nI}), "
                    "I_ext (2, 3, 6), tau_E=0.7, tau_I=0.3, "
                    + (f"phi=torch.{phi_name}" if phi_name else "the default phi"))
            kw = {"phi": Fixture("torch_function", fn=phi_name)} if phi_name else {}
            got, reply = sub.call("ei_rate_rhs", *args, 0.7, 0.3, return_args=True, **kw)
            want = ref.ei_rate_rhs(*args, 0.7, 0.3,
                                   **({"phi": getattr(torch, phi_name)} if phi_name else {}))
            expect(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"{what}: expected a pair (dr_E, dr_I)")
            for k, label in ((0, "dr_E"), (1, "dr_I")):
                expect_tensor(got[k], dtype, f"{what}: {label}")
                expect_close(got[k], want[k], f"{what}: {label}", rtol=rtol, atol=atol)
            expect_unchanged(args, reply["args"], "ei_rate_rhs")
    # a scalar external input
    args = [tensor(a[0, 0] if a.ndim == 3 else a, torch.float64)
            for a in (r_E, r_I, W_EE, W_EI, W_IE, W_II)]
    got = sub.call("ei_rate_rhs", *args, 1.5, 0.2, 0.05)
    want = ref.ei_rate_rhs(*args, 1.5, 0.2, 0.05)
    what = "ei_rate_rhs on one state (rates of shapes (6,) and (4,)) with I_ext=1.5 (a float)"
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"{what}: expected a pair")
    for k, label in ((0, "dr_E"), (1, "dr_I")):
        expect_close(got[k], want[k], f"{what}: {label}", rtol=1e-12, atol=1e-12)


# ---- balance_index ------------------------------------------------------------------------
@QUESTIONS.question("balance_index", points=1)
def balance_index(sub, ref):
    g = rng(2501)
    exc = g.uniform(1.0, 5.0, size=(4, 6))
    inh = -exc * g.uniform(0.5, 1.5, size=(4, 6))      # net input of either sign
    for dtype, rtol, atol in ((torch.float64, 1e-12, 1e-12), (torch.float32, 1e-4, 1e-5)):
        e, i = tensor(exc, dtype), tensor(inh, dtype)
        what = f"balance_index(exc, inh) on {dtype} currents of shape (4, 6), net input of both signs"
        got, reply = sub.call("balance_index", e, i, return_args=True)
        expect_close(got, ref.balance_index(e, i), what, rtol=rtol, atol=atol, shape=False)
        expect(as_numpy(got, what).size == 1, f"{what}: expected a single number")
        expect_unchanged([e, i], reply["args"], "balance_index")
    e = tensor([[2.0, 4.0]], torch.float64)
    got = sub.call("balance_index", e, -e)
    expect_close(got, 0.0, "balance_index(exc, -exc) (perfect cancellation)", rtol=0, atol=1e-12,
                 shape=False)


# ---- EIRNN --------------------------------------------------------------------------------
def _ei_params(seed, n_in, n_exc, n_inh, n_out, dtype):
    g = rng(seed)
    N = n_exc + n_inh
    return {"W_rec_raw": tensor(g.normal(scale=0.4, size=(N, N)), dtype),
            "W_in": tensor(g.normal(size=(N, n_in)), dtype),
            "b": tensor(g.normal(0.3, 0.3, size=N), dtype),
            "readout.weight": tensor(g.normal(scale=0.5, size=(n_out, n_exc)), dtype),
            "readout.bias": tensor(g.normal(size=n_out), dtype)}


def _lib_eirnn(ref, params, n_in, n_exc, n_inh, n_out, tau_E, tau_I, dt, dtype):
    return load_parameters(ref.EIRNN(n_in, n_exc, n_inh, n_out, tau_E=tau_E, tau_I=tau_I, dt=dt),
                           params, dtype)


def _dale_ok(W, n_exc):
    W = W.detach().double()
    return bool(torch.all(W[:, :n_exc] >= 0)) and bool(torch.all(W[:, n_exc:] <= 0))


PROBE_SIGNS = (0.5, -0.7)
PROBE_OFFSET = 0.1


def _probe_swap():
    return {"dale_signs": Fixture("probe_dale_signs", e_value=PROBE_SIGNS[0], i_value=PROBE_SIGNS[1]),
            "apply_dale": Fixture("probe_apply_dale", offset=PROBE_OFFSET)}


def _expected_W(raw, n_exc, route):
    """Effective recurrent matrix: the reference (route 0) or with the probe stand-ins for
    apply_dale and dale_signs (1: both probes, 2: probe apply_dale with +-1 signs)."""
    N = raw.shape[0]
    off = 1 - torch.eye(N, dtype=raw.dtype)
    if route == 0:
        s = torch.cat([torch.ones(n_exc), -torch.ones(N - n_exc)]).to(raw.dtype)
        return raw.abs() * s * off
    s = (torch.cat([torch.full((n_exc,), PROBE_SIGNS[0]), torch.full((N - n_exc,), PROBE_SIGNS[1])])
         if route == 1 else torch.cat([torch.ones(n_exc), -torch.ones(N - n_exc)])).to(raw.dtype)
    return (raw ** 2 + PROBE_OFFSET) * s * off


def _ei_forward(W, params, x_seq, r0, n_exc, tau_E, tau_I, dt):
    N = W.shape[0]
    tau = torch.cat([torch.full((n_exc,), tau_E), torch.full((N - n_exc,), tau_I)]).to(W.dtype)
    r = r0 if r0 is not None else x_seq.new_zeros(x_seq.shape[1], N)
    rs = []
    for t in range(x_seq.shape[0]):
        u = r @ W.T + x_seq[t] @ params["W_in"].T + params["b"]
        r = r + dt / tau * (-r + torch.relu(u))
        rs.append(r)
    r_seq = torch.stack(rs)
    return r_seq[..., :n_exc] @ params["readout.weight"].T + params["readout.bias"], r_seq


def _check_eirnn_once(sub, m, build, dtype, rtol, atol, params, routes, swap,
                      n_in, n_exc, n_inh, n_out, tau_E, tau_I, dt):
    N = n_exc + n_inh
    g = rng(2601)
    x_seq = tensor(g.normal(size=(6, 4, n_in)), dtype)
    r0 = tensor(g.uniform(0, 1, size=(4, N)), dtype)
    sub.set_params(m, params)
    W = sub.call(Handle(m.name, "__getattribute__"), "W_rec", swap=swap)
    what = (f"{build} in {dtype} with W_rec_raw set to random values of both signs: "
            "the property W_rec")
    expect(_is_tensor(W), f"{what} should be a tensor (a property), got {type(W).__name__}")
    expect_shape(W, (N, N), what)
    expect(_dale_ok(W, n_exc), f"{what} must have non-negative excitatory columns and "
                               "non-positive inhibitory columns (Dale's law), for any W_rec_raw")
    expect(bool(torch.all(torch.diagonal(W) == 0)), f"{what} must have a zero diagonal")
    found = matching(W, [_expected_W(params["W_rec_raw"], n_exc, rt_) for rt_ in routes],
                     rtol=rtol, atol=atol)
    expect(found is not None, f"{what}: values differ from the expected ones")
    route = routes[found]
    W_exp = _expected_W(params["W_rec_raw"], n_exc, route)
    for args, label in (((x_seq, r0), "and r0 of shape (4, 11)"), ((x_seq,), "and r0=None")):
        with torch.no_grad():
            wy, wr = _ei_forward(W_exp, params, *args, *(() if len(args) == 2 else (None,)),
                                 n_exc, tau_E, tau_I, dt)
        what = f"{build} in {dtype}: forward(x_seq) with x_seq of shape (6, 4, 3) {label}"
        got, reply = sub.call(m, *args, return_args=True, swap=swap)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"{what}: expected a pair (y_seq, r_seq)")
        expect_shape(got[1], (6, 4, N), f"{what}: r_seq")
        expect_shape(got[0], (6, 4, n_out), f"{what}: y_seq")
        expect_close(got[1], wr, f"{what}: r_seq (excitatory and inhibitory units have "
                                 "their own time constants)", rtol=rtol, atol=atol)
        expect_close(got[0], wy, f"{what}: y_seq (the readout sees the excitatory rates)",
                     rtol=rtol, atol=atol)
        expect_unchanged(list(args), reply["args"], "forward")
    after = sub.get_params(m)["params"]
    expect(all(torch.equal(after[k], params[k]) for k in params),
           f"{build}: forward and W_rec must not modify the model's parameters")


@QUESTIONS.question("EIRNN", points=3)
def EIRNN(sub, ref):
    n_in, n_exc, n_inh, n_out = 3, 7, 4, 2
    tau_E, tau_I, dt = 0.3, 0.12, 0.05
    N = n_exc + n_inh
    build = f"EIRNN({n_in}, {n_exc}, {n_inh}, {n_out}, tau_E={tau_E}, tau_I={tau_I}, dt={dt})"
    m = sub.call("EIRNN", n_in, n_exc, n_inh, n_out, tau_E=tau_E, tau_I=tau_I, dt=dt, keep="m")
    info = sub.get_params(m, attrs=["n_exc", "n_inh", "tau_E", "tau_I", "dt"])
    for k, v in (("n_exc", n_exc), ("n_inh", n_inh), ("tau_E", tau_E), ("tau_I", tau_I),
                 ("dt", dt)):
        got = info["attrs"].get(k)
        expect(got is not None and as_numpy(got, k).size == 1 and abs(float(got) - v) < 1e-12,
               f"{build}: the attribute {k} should be {v}")
    shapes = {"W_rec_raw": (N, N), "W_in": (N, n_in), "b": (N,),
              "readout.weight": (n_out, n_exc), "readout.bias": (n_out,)}
    for k, shape in shapes.items():
        expect(k in info["params"], f"{build}: the model has no parameter named {k}")
        expect_shape(info["params"][k], shape, f"{build}: parameter {k}")
    dims = (n_in, n_exc, n_inh, n_out, tau_E, tau_I, dt)
    # forward-Euler updates: 1e-6 in float64, relative and absolute (tau may or may not be
    # rounded to the default dtype before use: ~6e-8 relative in dt/tau, ~5e-8 absolute in
    # rates and outputs of order 1 after 6 steps)
    for dtype, rtol, atol in ((torch.float32, 1e-4, 1e-5), (torch.float64, 1e-6, 1e-6)):
        sub.call(m.double if dtype == torch.float64 else m.float)
        params = _ei_params(2602, n_in, n_exc, n_inh, n_out, dtype)
        first_passing(
            lambda: _check_eirnn_once(sub, m, build, dtype, rtol, atol, params, (0,), None, *dims),
            # maybe only apply_dale or dale_signs is wrong: the model with stand-ins for them
            lambda: _check_eirnn_once(sub, m, build, dtype, rtol, atol, params, (1, 2),
                                      _probe_swap(), *dims))


# ---- the trained model --------------------------------------------------------------------
HELD_OUT_X0 = (-4.0, 7.0, 22.0)   # not the task's initial condition


def _held_out(ref):
    """A Lorenz trajectory the notebook never saw, standardised like the task; and dt."""
    series, task = held_out_lorenz(ref, HELD_OUT_X0, 3001)
    return series, float(task["dt"])


@QUESTIONS.question("ei_model", points=4, timeout=120)
def ei_model(sub, ref):
    from lib import ei as lib_ei
    info = sub.get_params("ei_model", attrs=["n_exc", "n_inh", "tau_E", "tau_I", "dt",
                                             "W_rec"])
    attrs, params = info["attrs"], info["params"]
    for k in ("n_exc", "n_inh", "tau_E", "tau_I", "dt"):
        expect(attrs.get(k) is not None and np.size(attrs[k]) == 1,
               f"ei_model: the attribute {k} is missing (is ei_model an EIRNN?)")
    try:
        n_exc, n_inh = int(attrs["n_exc"]), int(attrs["n_inh"])
    except (TypeError, ValueError, OverflowError):
        raise CheckFailed("ei_model: the attributes n_exc and n_inh must be integers") from None
    expect(n_exc >= 1 and n_inh >= 1, "ei_model: n_exc and n_inh must be positive")
    # names, count, shapes and dtypes first: nothing is built from a model the contract
    # does not allow (its size would decide the grader's memory)
    expect(isinstance(params, dict) and "W_rec_raw" in params,
           "ei_model: the model has no parameter named W_rec_raw")
    N = trained_units(params["W_rec_raw"], "ei_model", "units (n_exc + n_inh)")
    expect(N == n_exc + n_inh, f"ei_model: parameter W_rec_raw has shape {(N, N)}, expected "
                               f"(n_exc + n_inh, n_exc + n_inh) = {(n_exc + n_inh,) * 2}")
    shapes = {"W_rec_raw": (N, N), "W_in": (N, 3), "b": (N,),
              "readout.weight": (3, n_exc), "readout.bias": (3,)}
    expect_trained_parameters(params, shapes, "ei_model")
    for k in shapes:
        expect(bool(torch.all(torch.isfinite(params[k]))), f"ei_model: parameter {k} is not finite")
    W = attrs.get("W_rec")
    expect(_is_tensor(W) and tuple(W.shape) == (N, N),
           "ei_model.W_rec should be a tensor of shape (N, N)")
    expect(_dale_ok(W, n_exc),
           "ei_model.W_rec: every recurrent weight must have the sign of its presynaptic "
           "population (E columns >= 0, I columns <= 0) after training")
    for k in ("tau_E", "tau_I", "dt"):
        expect(float(attrs[k]) > 0, f"ei_model: {k} must be positive")
    model = _lib_eirnn(ref, {k: v.double() for k, v in params.items() if k in shapes}, 3, n_exc,
                       n_inh, 3, float(attrs["tau_E"]), float(attrs["tau_I"]),
                       float(attrs["dt"]), torch.float64)
    # not a model any release shipped, however reparametrised: compared by what it computes
    expect_not_shipped(params, ref, "eirnn", "ei_model", model=model,
                       closed_loop=lib_ei.ei_closed_loop)
    series, data_dt = _held_out(ref)
    # the balanced regime, measured as 02 measures it (teacher forced, the signed
    # feed-forward drive counted in the net input, not as excitation)
    balance = lib_ei.trained_balance(model, series)["balance_index"]
    expect(np.isfinite(balance) and balance <= EI_MODEL_MAX_BALANCE,
           f"ei_model: balance index on a held-out Lorenz trajectory (teacher forced, the "
           f"feed-forward drive counted apart) is {balance:.2f}, the balanced regime needs at "
           f"most {EI_MODEL_MAX_BALANCE}: train with the balance penalty (Exercise 6)")
    err = lib_ei.ei_one_step_error(model, series, n_warmup=50)
    expect(np.isfinite(err) and err <= EI_MODEL_MAX_ONE_STEP,
           f"ei_model: mean one-step normalised error on a held-out Lorenz trajectory (after "
           f"50 warm-up steps) is {err:.4f}, it must be at most {EI_MODEL_MAX_ONE_STEP}")
    vpt = lib_ei.ei_valid_prediction_times(model, series, n_starts=20, n_warmup=50,
                                           horizon=400, data_dt=data_dt)
    med = float(np.median(vpt))
    expect(med >= EI_MODEL_MIN_VPT,
           f"ei_model: median valid prediction time of ei_closed_loop over 20 held-out starts "
           f"is {med:.2f} Lyapunov times, it must be at least {EI_MODEL_MIN_VPT}")
