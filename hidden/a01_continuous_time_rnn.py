"""Hidden checks of 01_continuous_time_rnn (never handed to students)."""

import math

import numpy as np
import torch

from grading.checks import (CheckFailed, Fixture, Handle, Registry, expect,
                            expect_close, expect_not_shipped, expect_shape, expect_tensor,
                            expect_trained_parameters, expect_unchanged, fixture_pair,
                            held_out_lorenz, load_parameters, matching, rng, shape_of, tensor,
                            trained_units)

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 240, "notebook_timeout": 420, "call_timeout": 30}

# thresholds stated to students in the notebook
MODEL_ONE_STEP_MAX = 0.01
MODEL_VPT_MIN = 2.0
TOL = {torch.float64: (1e-6, 1e-9), torch.float32: (1e-4, 1e-5)}


def _weights(seed, N, D, dtype, n_out=None, scale=0.9):
    """Random non-symmetric CT-RNN weights (so that W_rec and W_rec.T differ)."""
    g = rng(seed)
    w = {"W_rec": tensor(g.normal(scale=scale / math.sqrt(N), size=(N, N)), dtype),
         "W_in": tensor(g.normal(scale=0.8, size=(N, D)), dtype),
         "b": tensor(g.uniform(-0.5, 0.5, size=N), dtype)}
    if n_out is not None:
        w["readout.weight"] = tensor(g.normal(scale=1 / math.sqrt(N), size=(n_out, N)), dtype)
        w["readout.bias"] = tensor(g.normal(scale=0.1, size=n_out), dtype)
    return w


def _shell(w, tau, dt):
    return fixture_pair("ctrnn_shell", W_rec=w["W_rec"], W_in=w["W_in"], b=w["b"],
                        readout_weight=w["readout.weight"], readout_bias=w["readout.bias"],
                        tau=tau, dt=dt)


def _close(got, want, what, dtype, rtol=None, atol=None):
    r, a = TOL[dtype]
    expect_close(got, want, what, rtol=rtol or r, atol=atol or a)


def _is_close(got, want, dtype):
    return _matches_any(got, [want], dtype)


def _matches_any(got, wants, dtype):
    """The reference's result or the result with a probe standing in for a dependency."""
    return matching(got, wants, *TOL[dtype]) is not None


# ---- ctrnn_rhs ---------------------------------------------------------------------------
@QUESTIONS.question("ctrnn_rhs", points=2)
def ctrnn_rhs(sub, ref):
    for dtype, seed in ((torch.float64, 11), (torch.float32, 12)):
        N, D = 6, 3
        w = _weights(seed, N, D, dtype)
        g = rng(seed + 100)
        h = tensor(g.normal(size=(4, 5, N)), dtype)
        x = tensor(g.normal(size=(4, 5, D)), dtype)
        what = (f"ctrnn_rhs(h, x, W_rec, W_in, b, tau=0.37) with h {tuple(h.shape)}, "
                f"x {tuple(x.shape)}, N={N}, D={D}, non-symmetric W_rec, {dtype}")
        got, reply = sub.call("ctrnn_rhs", h, x, w["W_rec"], w["W_in"], w["b"], 0.37,
                              return_args=True)
        expect_tensor(got, dtype, what)
        _close(got, ref.ctrnn_rhs(h, x, w["W_rec"], w["W_in"], w["b"], 0.37), what, dtype)
        expect_unchanged([h, x, w["W_rec"], w["W_in"], w["b"]], reply["args"], "ctrnn_rhs")
    # one unbatched state
    w = _weights(13, 5, 2, torch.float64)
    h, x = tensor(rng(14).normal(size=5), torch.float64), tensor(rng(15).normal(size=2), torch.float64)
    got = sub.call("ctrnn_rhs", h, x, w["W_rec"], w["W_in"], w["b"], 2.5)
    _close(got, ref.ctrnn_rhs(h, x, w["W_rec"], w["W_in"], w["b"], 2.5),
           "ctrnn_rhs on one state h (5,), x (2,) with tau=2.5", torch.float64)


# ---- euler_step --------------------------------------------------------------------------
@QUESTIONS.question("euler_step", points=2)
def euler_step(sub, ref):
    probe_fx, probe = fixture_pair("probe_ctrnn_rhs", scale=0.6)
    for dtype, seed, tau, dt in ((torch.float64, 21, 0.37, 0.05), (torch.float32, 22, 1.3, 0.2)):
        N, D = 7, 3
        w = _weights(seed, N, D, dtype)
        g = rng(seed + 100)
        h = tensor(g.normal(size=(3, 4, N)), dtype)
        x = tensor(g.normal(size=(3, 4, D)), dtype)
        args = (h, x, w["W_rec"], w["W_in"], w["b"], tau, dt)
        what = (f"euler_step(h, x, W_rec, W_in, b, tau={tau}, dt={dt}) with h {tuple(h.shape)},"
                f" x {tuple(x.shape)}, {dtype}")
        # with a stand-in for ctrnn_rhs: correct if it matches the reference (the student
        # did not call ctrnn_rhs) or one Euler step of the stand-in field (they did)
        got, reply = sub.call("euler_step", *args, return_args=True,
                              swap={"ctrnn_rhs": probe_fx})
        expect_tensor(got, dtype, what)
        expect_shape(got, tuple(h.shape), what)
        want_ref = ref.euler_step(*args)
        want_probe = h + dt * probe(h, x, w["W_rec"], w["W_in"], w["b"], tau)
        expect(_matches_any(got, [want_ref, want_probe], dtype),
               f"{what}: the result is not one forward-Euler step of size dt of the CT-RNN "
               "vector field (checked with your ctrnn_rhs replaced by a known vector field, "
               "and without)")
        expect_unchanged(list(args[:5]), reply["args"], "euler_step")


# ---- CTRNN -------------------------------------------------------------------------------
def _probe_forward(w, x_seq, h0, tau, dt, step):
    B, N = x_seq.shape[1], w["W_rec"].shape[0]
    h = h0 if h0 is not None else x_seq.new_zeros(B, N)
    hs = []
    for t in range(x_seq.shape[0]):
        h = step(h, x_seq[t], w["W_rec"], w["W_in"], w["b"], tau, dt)
        hs.append(h)
    hs = torch.stack(hs)
    return hs @ w["readout.weight"].T + w["readout.bias"], hs


@QUESTIONS.question("CTRNN", points=3)
def CTRNN(sub, ref):
    n_in, N, n_out, tau, dt = 3, 6, 2, 0.3, 0.07
    probe_fx, probe = fixture_pair("probe_euler", scale=0.6)
    m = sub.call("CTRNN", n_in, N, n_out, tau=tau, dt=dt, keep="ctrnn_m")
    info = sub.get_params(m, attrs=["tau", "dt"])
    names = set(info["params"])
    for name in ("W_rec", "W_in", "b", "readout.weight", "readout.bias"):
        expect(name in names, f"CTRNN(3, 6, 2, tau=0.3, dt=0.07) has no parameter named {name}")
    shapes = {"W_rec": (N, N), "W_in": (N, n_in), "b": (N,), "readout.weight": (n_out, N),
              "readout.bias": (n_out,)}
    for name, shape in shapes.items():
        expect_shape(info["params"][name], shape, f"CTRNN(3, 6, 2): parameter {name}")
    for a, v in (("tau", tau), ("dt", dt)):
        got = info["attrs"].get(a)
        expect(got is not None and abs(float(got) - v) < 1e-12,
               f"CTRNN(3, 6, 2, tau=0.3, dt=0.07) must store the attribute {a} = {v}")
    for dtype, seed in ((torch.float64, 31), (torch.float32, 32)):
        if dtype == torch.float64:
            m = sub.call(m.double, keep="ctrnn_m")
        else:
            m = sub.call(m.float, keep="ctrnn_m")
        w = _weights(seed, N, n_in, dtype, n_out=n_out)
        sub.set_params(m, w)
        lm = load_parameters(ref.CTRNN(n_in, N, n_out, tau=tau, dt=dt), w, dtype)
        g = rng(seed + 100)
        x_seq = tensor(g.normal(size=(9, 4, n_in)), dtype)
        h0 = tensor(g.normal(scale=0.5, size=(4, N)), dtype)
        for h_init in (None, h0):
            what = (f"CTRNN(3, 6, 2, tau=0.3, dt=0.07) with parameters set by name, forward on "
                    f"x_seq of shape (9, 4, 3), {dtype}, h0 "
                    + ("None" if h_init is None else "given"))
            args = (x_seq,) if h_init is None else (x_seq, h_init)
            got, reply = sub.call(m, *args, return_args=True, no_grad=True,
                                  swap={"euler_step": probe_fx})
            expect(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"{what}: forward must return (y_seq, h_seq)")
            y, hs = got
            expect_tensor(y, dtype, what + " (y_seq)")
            expect_tensor(hs, dtype, what + " (h_seq)")
            expect_shape(y, (9, 4, n_out), what + " (y_seq)")
            expect_shape(hs, (9, 4, N), what + " (h_seq)")
            with torch.no_grad():
                want = lm(x_seq, h_init)
            want_probe = _probe_forward(w, x_seq, h_init, tau, dt, probe)
            ok = ((_is_close(y, want[0], dtype) and _is_close(hs, want[1], dtype))
                  or (_is_close(y, want_probe[0], dtype) and _is_close(hs, want_probe[1], dtype)))
            expect(ok, f"{what}: (y_seq, h_seq) differ from the expected ones (checked with "
                       "your euler_step replaced by a known update, and without): h_t must be "
                       "one step from h_(t-1) with input x_t, y_t the readout of h_t")
            expect_unchanged(list(args), reply["args"], "CTRNN.forward")


# ---- ctrnn_ode_step ----------------------------------------------------------------------
def _lib_model(ref, w, tau, dtype):
    N, D = w["W_in"].shape
    n_out = w["readout.weight"].shape[0]
    return load_parameters(ref.CTRNN(D, N, n_out, tau=tau, dt=0.1), w, dtype)


class _Field(torch.nn.Module):
    def __init__(self, model, x, rhs):
        super().__init__()
        self.model, self.x, self.rhs = model, x, rhs

    def forward(self, t, h):
        m = self.model
        return self.rhs(h, self.x, m.W_rec, m.W_in, m.b, m.tau)


def _ode_expect(rhs, lm, h, x, dt, method="rk4", adjoint=False):
    """torchdiffeq solution (and gradients) in the grader for a given vector field."""
    import torchdiffeq
    for p in lm.parameters():
        p.grad = None
    hh = h.clone().requires_grad_(True)
    t = torch.tensor([0.0, float(dt)], dtype=h.dtype)
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    out = solve(_Field(lm, x, rhs), hh, t, method=method)[-1]
    out.sum().backward()
    return out.detach(), hh.grad, {k: v.grad.clone() for k, v in lm.named_parameters()
                                   if v.grad is not None}


@QUESTIONS.question("ctrnn_ode_step", points=3)
def ctrnn_ode_step(sub, ref):
    N, D, tau = 6, 3, 0.45
    probe_fx, probe = fixture_pair("probe_ctrnn_rhs", scale=0.6)
    swap = {"ctrnn_rhs": probe_fx}
    note = (" (checked with your ctrnn_rhs replaced by a known vector field, and without; "
            "the comparison is with torchdiffeq's own solution)")
    cases = ((torch.float64, 41, 0.13, "rk4"), (torch.float64, 42, 0.3, "dopri5"),
             (torch.float64, 43, 0.05, "euler"), (torch.float32, 44, 0.13, "rk4"))
    for dtype, seed, dt, method in cases:
        w = _weights(seed, N, D, dtype, n_out=2)
        fx, _ = _shell(w, tau, 0.01)
        lm = _lib_model(ref, w, tau, dtype)
        g = rng(seed + 100)
        h = tensor(g.normal(size=(5, N)), dtype)
        x = tensor(g.normal(size=(5, D)), dtype)
        what = (f"ctrnn_ode_step(model, h, x, dt={dt}, method={method!r}) with h (5, 6), "
                f"x (5, 3), model.tau={tau} (different from dt and model.dt), {dtype}")
        got, reply = sub.call("ctrnn_ode_step", fx, h, x, dt, method=method, return_args=True,
                              swap=swap)
        expect_tensor(got, dtype, what)
        expect_shape(got, (5, N), what)
        wants = [_ode_expect(f, lm, h, x, dt, method)[0] for f in (ref.ctrnn_rhs, probe)]
        expect(_matches_any(got, wants, dtype), f"{what}: h(dt) is wrong" + note)
        expect_unchanged([None, h, x], reply["args"], "ctrnn_ode_step")
    # default method, extra batch dimension
    w = _weights(45, N, D, torch.float64, n_out=2)
    fx, _ = _shell(w, tau, 0.01)
    lm = _lib_model(ref, w, tau, torch.float64)
    h = tensor(rng(46).normal(size=(2, 3, N)), torch.float64)
    x = tensor(rng(47).normal(size=(2, 3, D)), torch.float64)
    got = sub.call("ctrnn_ode_step", fx, h, x, 0.2, swap=swap)
    wants = {f: _ode_expect(f, lm, h, x, 0.2) for f in (ref.ctrnn_rhs, probe)}
    expect(_matches_any(got, [v[0] for v in wants.values()], torch.float64),
           "ctrnn_ode_step(model, h, x, 0.2) with the default method, h (2, 3, 6): h(dt) is "
           "wrong" + note)
    # adjoint: gradients reach h and the model's parameters
    shell = sub.keep(fx, "ode_shell")
    what = ("ctrnn_ode_step(model, h, x, 0.2, adjoint=True) with h (2, 3, 6): gradient of "
            "sum(h(dt))")
    # (no swap here: the backward pass of the adjoint runs after the call returns)
    got, reply = sub.call("ctrnn_ode_step", shell, h, x, 0.2, adjoint=True, grad_wrt=[1])
    grads = {}
    for name in ("W_rec", "b"):
        try:
            grads[name] = sub.call(getattr(Handle("ode_shell"), name).grad.clone)
        except CheckFailed:
            raise CheckFailed(f"{what}: the model parameter {name} got no gradient (with "
                              "adjoint=True the vector field must be an nn.Module that holds "
                              "the model as a submodule)") from None
    val, gh, gp = _ode_expect(ref.ctrnn_rhs, lm, h, x, 0.2, adjoint=True)
    ok = (_is_close(got, val, torch.float64) and reply["grads"][0] is not None
          and np.allclose(reply["grads"][0].numpy(), gh.numpy(), rtol=1e-5, atol=1e-8)
          and all(np.allclose(grads[k].double().numpy(), gp[k].numpy(), rtol=1e-5, atol=1e-8)
                  for k in grads))
    if not ok:
        # a wrong ctrnn_rhs must not cost this exercise: if the non-adjoint solution of the
        # student's own field already differs, only ask for consistency and for gradients
        own = sub.call("ctrnn_ode_step", fx, h, x, 0.2)
        if not _is_close(own, val, torch.float64):
            ok = (_is_close(got, own, torch.float64)
                  and all(np.all(np.isfinite(grads[k].double().numpy())) and
                          float(np.abs(grads[k].double().numpy()).max()) > 0 for k in grads))
    expect(ok, f"{what}: the value or the gradients with respect to h, model.W_rec and "
               "model.b are wrong (compared with torchdiffeq's own adjoint solution)")


# ---- closed_loop -------------------------------------------------------------------------
def _loop(step, w, tau, dt, x0, h0, n_steps):
    h, x, outs = h0, x0, []
    for _ in range(n_steps):
        h = step(h, x, w["W_rec"], w["W_in"], w["b"], tau, dt)
        x = h @ w["readout.weight"].T + w["readout.bias"]
        outs.append(x)
    return torch.stack(outs)


@QUESTIONS.question("closed_loop", points=3)
def closed_loop(sub, ref):
    N, D, tau, dt = 6, 3, 0.3, 0.07
    probe_fx, probe = fixture_pair("probe_euler", scale=0.6)
    swap = {"euler_step": probe_fx}
    for dtype, seed, n_steps in ((torch.float64, 51, 12), (torch.float32, 52, 5),
                                 (torch.float64, 53, 1)):
        w = _weights(seed, N, D, dtype, n_out=D, scale=1.2)
        fx, _ = _shell(w, tau, dt)
        g = rng(seed + 100)
        x0 = tensor(g.normal(size=(4, D)), dtype)
        h0 = tensor(g.normal(scale=0.5, size=(4, N)), dtype)
        what = (f"closed_loop(model, x0 (4, 3), h0 (4, 6), n_steps={n_steps}) for a model with "
                f"tau={tau}, dt={dt}, {dtype}")
        got, reply = sub.call("closed_loop", fx, x0, h0, n_steps, swap=swap, grad_wrt=[1, 2])
        expect_tensor(got, dtype, what)
        expect_shape(got, (n_steps, 4, D), what)
        wants = []
        for step in (ref.euler_step, probe):
            xx, hh = x0.clone().requires_grad_(True), h0.clone().requires_grad_(True)
            out = _loop(step, w, tau, dt, xx, hh, n_steps)
            out.sum().backward()
            wants.append((out.detach(), (xx.grad, hh.grad)))
        grads = reply["grads"]
        expect(_matches_any(got, [v for v, _ in wants], dtype),
               f"{what}: the outputs differ from the expected ones (checked with your "
               "euler_step replaced by a known update, and without): each step advances h "
               "once with input x, then the output becomes the next input")
        for k, arg in ((0, "x0"), (1, "h0")):
            expect(grads[k] is not None and any(_is_close(got, v, dtype) and _is_close(grads[k], gr[k], dtype)
                                                for v, gr in wants),
                   f"{what}: the gradient of sum(outputs) with respect to {arg} is wrong or "
                   "missing (closed_loop must stay differentiable: no detach, no torch.no_grad)")
    # inputs unchanged (without swap)
    w = _weights(54, N, D, torch.float64, n_out=D)
    fx, _ = _shell(w, tau, dt)
    x0 = tensor(rng(55).normal(size=(2, D)), torch.float64)
    h0 = tensor(rng(56).normal(size=(2, N)), torch.float64)
    got, reply = sub.call("closed_loop", fx, x0, h0, 3, return_args=True)
    expect_unchanged([None, x0, h0], reply["args"], "closed_loop")


# ---- prediction_error --------------------------------------------------------------------
@QUESTIONS.question("prediction_error", points=1)
def prediction_error(sub, ref):
    for dtype, seed in ((torch.float64, 61), (torch.float32, 62)):
        g = rng(seed)
        pred = tensor(g.normal(size=(5, 4, 3)), dtype)
        true = tensor(g.normal(size=(5, 4, 3)), dtype)
        std = tensor([0.5, 2.0, 3.5], dtype)
        what = f"prediction_error(pred, true, std) with pred, true (5, 4, 3), std (3,) = (0.5, 2, 3.5), {dtype}"
        got, reply = sub.call("prediction_error", pred, true, std, return_args=True)
        expect_tensor(got, dtype, what)
        expect_shape(got, (5, 4), what)
        _close(got, ref.prediction_error(pred, true, std), what, dtype)
        expect_unchanged([pred, true, std], reply["args"], "prediction_error")
    pred = tensor(rng(63).normal(size=(7, 2)), torch.float64)
    true = tensor(rng(64).normal(size=(7, 2)), torch.float64)
    std = tensor([1.5, 0.25], torch.float64)
    _close(sub.call("prediction_error", pred, true, std), ref.prediction_error(pred, true, std),
           "prediction_error with pred, true (7, 2), std (2,)", torch.float64)


# ---- valid_prediction_time ---------------------------------------------------------------
@QUESTIONS.question("valid_prediction_time", points=2)
def valid_prediction_time(sub, ref):
    # errors are exact in binary: pred - true = e * std in every component
    swap = {"prediction_error": Fixture("max_abs_error")}

    def make(errors, std, dtype):
        e = torch.as_tensor(errors, dtype=dtype)[:, None]
        true = tensor(rng(71).integers(-16, 16, size=(len(errors), 3)) / 8.0, dtype)
        std_t = torch.as_tensor(std, dtype=dtype)
        return true + e * std_t, true, std_t

    cases = [
        # (errors, std, dt, kwargs, description)
        ([0.125, 0.25, 0.5, 0.375, 0.75, 0.125, 0.25], [2.0, 4.0, 0.5], 0.02, {},
         "an error exactly at the default threshold 0.5 at step 2, the first error above it "
         "at step 4, valid steps again after that"),
        ([0.125, 0.25, 0.25, 0.375, 0.25, 0.125], [1.0, 1.0, 1.0], 0.01,
         {"threshold": 0.25, "lyapunov_exponent": 1.5},
         "threshold=0.25 with errors exactly 0.25 at steps 1, 2, 4, lyapunov_exponent=1.5"),
        ([0.0625, 0.125, 0.25, 0.125], [2.0, 2.0, 2.0], 0.05, {},
         "every step valid"),
        ([0.75, 0.125, 0.25], [1.0, 2.0, 4.0], 0.02, {}, "the first step already invalid"),
    ]
    for dtype in (torch.float64, torch.float32):
        for errors, std, dt, kwargs, desc in cases:
            pred, true, std_t = make(errors, std, dtype)
            want = float(ref.valid_prediction_time(pred.double(), true.double(), std_t.double(),
                                                   dt, **kwargs))
            what = (f"valid_prediction_time(pred, true, std, dt={dt}"
                    + "".join(f", {k}={v}" for k, v in kwargs.items())
                    + f") with T={len(errors)}, {dtype}: {desc}")
            # the stand-in error equals the RMS error here, so both ways must agree
            for sw in (None, swap):
                got, reply = sub.call("valid_prediction_time", pred, true, std_t, dt,
                                      swap=sw, return_args=True, **kwargs)
                expect_close(got, want, what + " (in Lyapunov times)", rtol=1e-6, atol=1e-9,
                             shape=False)
                expect_unchanged([pred, true, std_t], reply["args"], "valid_prediction_time")


# ---- the trained model -------------------------------------------------------------------
HELD_OUT_X0 = (-6.0, 3.0, 31.0)   # not the task's initial condition


def held_out(ref):
    """Lorenz data from another initial condition, standardised like the task."""
    return held_out_lorenz(ref, HELD_OUT_X0, 3001)[0]


@QUESTIONS.question("ctrnn_model", points=4, timeout=120)
def ctrnn_model(sub, ref):
    from lib import ctrnn as lc
    info = sub.get_params("ctrnn_model", attrs=["tau", "dt"])
    p = info["params"]
    expect(isinstance(p, dict), "ctrnn_model's parameters could not be read (is it a CTRNN?)")
    for name in ("W_rec", "W_in", "b", "readout.weight", "readout.bias"):
        expect(name in p, f"ctrnn_model has no parameter named {name} (is it a CTRNN?)")
    # names, count, shapes and dtypes first: nothing is built from a model the contract
    # does not allow (its size would decide the grader's memory)
    N = trained_units(p["W_rec"], "ctrnn_model", "hidden units")
    expect(shape_of(p["W_in"]) == (N, 3) and shape_of(p["readout.weight"]) == (3, N),
           "ctrnn_model must read the 3 Lorenz coordinates and predict 3 (n_in = n_out = 3)")
    expect_trained_parameters(p, {"W_rec": (N, N), "W_in": (N, 3), "b": (N,),
                                  "readout.weight": (3, N), "readout.bias": (3,)},
                              "ctrnn_model")
    try:
        tau, dt = float(info["attrs"]["tau"]), float(info["attrs"]["dt"])
    except (TypeError, ValueError, KeyError):
        raise CheckFailed("ctrnn_model must have float attributes tau and dt") from None
    expect(tau > 0 and dt > 0 and math.isfinite(tau) and math.isfinite(dt),
           "ctrnn_model.tau and ctrnn_model.dt must be positive")
    model = load_parameters(ref.CTRNN(3, N, 3, tau=tau, dt=dt),
                            {k: p[k] for k in ("W_rec", "W_in", "b", "readout.weight",
                                               "readout.bias")}, torch.float64)
    # not a model any release shipped, however reparametrised: compared by what it computes
    expect_not_shipped(p, ref, "ctrnn", "ctrnn_model", model=model, closed_loop=lc.closed_loop)
    series = held_out(ref)
    err = lc.one_step_error(model, series, n_warmup=50)
    expect(math.isfinite(err) and err <= MODEL_ONE_STEP_MAX,
           f"ctrnn_model on held-out Lorenz data (another initial condition, standardised with "
           f"train_mean/train_std, 50 warm-up steps): mean one-step normalised error "
           f"{err:.4g}, required <= {MODEL_ONE_STEP_MAX}")
    # the course's one VPT protocol (lib.evaluation: 20 starts, horizon 600)
    vpt = lc.valid_prediction_times(model, series, n_starts=20, n_warmup=50)
    med = float(np.median(vpt))
    expect(med >= MODEL_VPT_MIN,
           f"ctrnn_model on held-out Lorenz data: median closed-loop valid prediction time over "
           f"20 starts (50 warm-up steps teacher forced, then closed_loop, threshold 0.5) is "
           f"{med:.2f} Lyapunov times, required >= {MODEL_VPT_MIN}")


# ---- trajectory_loss ---------------------------------------------------------------------
def _mlp_params(seed, d, n_hidden, dtype):
    g = rng(seed)
    return {"W1": tensor(g.normal(scale=0.8, size=(n_hidden, d)), dtype),
            "b1": tensor(g.uniform(-0.5, 0.5, size=n_hidden), dtype),
            "W2": tensor(g.normal(scale=1 / math.sqrt(n_hidden), size=(d, n_hidden)), dtype),
            "b2": tensor(g.normal(scale=0.1, size=d), dtype)}


def _reference_loss(ref, params, win, dt, adjoint=False, **kwargs):
    """The reference loss and the gradients of the field's parameters, in the grader."""
    field = fixture_pair("mlp_field", **params)[1]
    loss = ref.trajectory_loss(field, win, dt, adjoint=adjoint, **kwargs)
    loss.backward()
    return loss.detach(), {k: p.grad.clone() for k, p in field.named_parameters()}


# the adjoint's numerical signature: a coarse RK4 grid on which odeint_adjoint's gradient
# differs from backpropagation through odeint by ADJOINT_SIGNATURE (relative, float64)
SIGNATURE_SEED, SIGNATURE_DT, SIGNATURE_GAIN = 72, 0.3, 2.0
ADJOINT_SIGNATURE = 7.5e-3
SIGNATURE_RTOL = 1e-5       # as close to the other method's gradient: that method's


def _signature_params():
    params = _mlp_params(SIGNATURE_SEED, 3, 8, torch.float64)
    return {k: v * SIGNATURE_GAIN if k.startswith("W") else v for k, v in params.items()}


def _relative_distance(got, want):
    """||got - want|| / ||want|| over all parameters (inf when a shape differs)."""
    num = den = 0.0
    for name, w in want.items():
        g = got.get(name)
        if g is None or tuple(g.shape) != tuple(w.shape):
            return math.inf
        num += float(((g - w) ** 2).sum())
        den += float((w ** 2).sum())
    return math.sqrt(num / den) if den > 0 else math.inf


@QUESTIONS.question("trajectory_loss", points=2)
def trajectory_loss(sub, ref):
    cases = ((torch.float64, 61, 6, 4, 0.05, {"method": "rk4"}),
             (torch.float64, 62, 5, 3, 0.1, {"method": "euler"}),
             (torch.float64, 63, 2, 2, 0.07, {"method": "midpoint"}),
             (torch.float64, 65, 4, 2, 0.03, {}),
             (torch.float32, 64, 7, 5, 0.02, {"method": "rk4"}))
    for dtype, seed, L, B, dt, kwargs in cases:
        params = _mlp_params(seed, 3, 8, dtype)
        win = tensor(rng(seed + 100).normal(size=(L, B, 3)), dtype)
        shown = "".join(f", method={v!r}" for v in kwargs.values()) or " (default method)"
        what = f"trajectory_loss(func, x_window, dt={dt}{shown}) with x_window ({L}, {B}, 3), {dtype}"
        got, reply = sub.call("trajectory_loss", Fixture("mlp_field", **params), win, dt,
                              return_args=True, **kwargs)
        expect_tensor(got, dtype, what)
        expect_shape(got, (), what)
        _close(got, _reference_loss(ref, params, win, dt, **kwargs)[0], what, dtype)
        expect_unchanged([None, win], reply["args"], "trajectory_loss")
    # gradients, and where they come from.  The adjoint's gradient is not the exact gradient
    # of the computed solution: it integrates the state and the adjoint backwards with its own
    # RK4 steps.  On a coarse grid (dt 0.3, a field twice as steep as _mlp_params') the two
    # differ by 7.5e-3 relative (ADJOINT_SIGNATURE), 750 times the tolerance, while each is
    # reproduced to 1e-15 by any correct implementation (one call or one per sample,
    # explicit adjoint_params, activation checkpointing for adjoint=False) and to 2e-7 by
    # one in float32.  So the gradients themselves, computed in the worker and compared here,
    # say which method produced them: nothing the submission counts or reports is trusted.
    params = _signature_params()
    win = tensor(rng(SIGNATURE_SEED + 100).normal(size=(5, 3, 3)), torch.float64)
    field = sub.keep(Fixture("mlp_field", **params), "node_field")
    refs = {a: _reference_loss(ref, params, win, SIGNATURE_DT, adjoint=a)[1] for a in (False, True)}
    for by_adjoint in (False, True):
        what = (f"trajectory_loss(func, x_window, {SIGNATURE_DT}, adjoint={by_adjoint}) with "
                "x_window (5, 3, 3), float64")
        sub.call(field.zero_grad)
        loss = sub.call("trajectory_loss", field, win, SIGNATURE_DT, adjoint=by_adjoint,
                        keep="node_loss")
        try:
            sub.call(loss.backward)
        except CheckFailed:
            raise CheckFailed(f"{what}: backward() of the returned loss failed (it must be a "
                              "tensor through which gradients reach func's parameters)") from None
        got = {}
        for name in refs[by_adjoint]:
            try:
                value = sub.call(getattr(field, name).grad.clone)
            except CheckFailed:
                raise CheckFailed(f"{what}: func's parameter {name} got no gradient") from None
            expect(isinstance(value, torch.Tensor) and value.is_floating_point(),
                   f"{what}: the gradient of func.{name} is not a floating-point tensor")
            got[name] = value.to(torch.float64)
        expect(_relative_distance(got, refs[not by_adjoint]) > SIGNATURE_RTOL,
               f"{what}: the gradients are those of "
               + ("backpropagation through odeint (the exact gradient of the computed "
                  "solution), not the adjoint method's: with adjoint=True call odeint_adjoint"
                  if by_adjoint else
                  "the adjoint method (at this step they differ from the exact gradient of "
                  "the computed solution): with adjoint=False backpropagate through odeint"))
        for name, g in refs[by_adjoint].items():
            _close(got[name], g, f"{what}: gradient of the loss with respect to func.{name}",
                   torch.float64, rtol=1e-5, atol=1e-8)
