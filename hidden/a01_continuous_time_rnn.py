"""Hidden checks of 01_continuous_time_rnn (never handed to students).

flow_model (section 10) is judged by what it computes on held-out data: lib.flow
integrates the submitted parameters with the course protocol.

euler_step, CTRNN, ctrnn_ode_step, prediction_error and valid_prediction_time are given code
in the notebook since the four-hour core (issue 23): they are not graded here (lib keeps
them, tested by tests/science)."""

import math

import numpy as np
import torch

from grading.checks import (CheckFailed, Fixture, Registry, expect, expect_close,
                            expect_not_shipped, expect_shape, expect_tensor,
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


def _worker_gradients(sub, loss, module, names, what, owner):
    """``loss.backward()`` in the worker, then the gradients of ``module``'s parameters
    ``names`` (floating-point tensors), or a message saying which step failed."""
    try:
        sub.call(loss.backward)
    except CheckFailed:
        raise CheckFailed(f"{what}: backward() of the returned loss failed (it must be a "
                          f"tensor through which gradients reach {owner}'s parameters)") from None
    got = {}
    for name in names:
        try:
            value = sub.call(getattr(module, name).grad.clone)
        except CheckFailed:
            raise CheckFailed(f"{what}: {owner}'s parameter {name} got no gradient") from None
        expect(isinstance(value, torch.Tensor) and value.is_floating_point(),
               f"{what}: the gradient of {owner}.{name} is not a floating-point tensor")
        got[name] = value
    return got


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
        got = {k: v.to(torch.float64)
               for k, v in _worker_gradients(sub, loss, field, refs[by_adjoint], what, "func").items()}
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


# ---- the CT-RNN as a flow, trained with the adjoint ---------------------------------------
FLOW_VPT_MIN = 3.0          # stated to students in the notebook (section 10): a working flow
FLOW_MAX_UNITS = 300        # the grader integrates 20 forecasts of 600 samples: bounded cost
FLOW_PARAMETERS = ("W", "U", "b", "C", "c")


def _flow_params(seed, N, dtype):
    """A small flow with a non-zero readout (so the closed loop feeds back), float ``dtype``."""
    g = rng(seed)
    return {"W": tensor(g.normal(scale=0.9 / math.sqrt(N), size=(N, N)), dtype),
            "U": tensor(g.uniform(-0.8, 0.8, size=(N, 3)), dtype),
            "b": tensor(g.uniform(-1, 1, size=N), dtype),
            "C": tensor(g.normal(scale=1.5 / math.sqrt(N), size=(3, N)), dtype),
            "c": tensor(g.normal(scale=0.1, size=3), dtype),
            "tau": 0.1 + 0.1 * g.uniform(), "h_init": tensor(g.normal(scale=0.3, size=N), dtype)}


def _reference_window_loss(ref_flow, params, win, n_drive, adjoint=True):
    """lib's loss and gradients (W, U, b, C, c) on a shell with ``params``, in the grader
    (``adjoint=False``: backpropagation through odeint, to name that mistake)."""
    net = fixture_pair("flow_shell", **params)[1]
    loss = ref_flow.closed_window_loss(net, win, n_drive, adjoint=adjoint)
    loss.backward()
    return loss.detach(), {k: p.grad.clone() for k, p in net.named_parameters()}


def _check_window_loss(sub, lf):
    """closed_window_loss against lib's on small flows: its value, then every parameter's
    gradient, which must be the adjoint method's (backpropagation through odeint differs
    from it by more than 1e-4 relative on these windows and is named in the message)."""
    for dtype, seed, N, B, n_drive, L in ((torch.float64, 81, 6, 3, 4, 5),
                                          (torch.float32, 82, 5, 2, 3, 2),
                                          (torch.float64, 83, 4, 1, 2, 1)):
        params = _flow_params(seed, N, dtype)
        win = tensor(rng(seed + 100).normal(size=(n_drive + 1 + L, B, 3)), dtype)
        what = (f"closed_window_loss(net, win, n_drive={n_drive}) with win "
                f"{tuple(win.shape)} ({L} closed-loop samples), N={N}, {dtype}")
        want, grads = _reference_window_loss(lf, params, win, n_drive)
        net = sub.keep(Fixture("flow_shell", **params), "flow_shell")
        loss = sub.call("closed_window_loss", net, win, n_drive, keep="flow_loss")
        value = sub.call(loss.detach)
        expect_tensor(value, dtype, what)
        expect(shape_of(value) == (), f"{what}: expected a 0-d tensor (the mean), got shape "
                                      f"{shape_of(value)}")
        _close(value, want, f"{what}: the loss (the closed loop from the warmed-up state, one "
                            "RK4 step per sample, readouts at samples 1..L against "
                            "win[n_drive + 1:])", dtype, rtol=1e-5 if dtype == torch.float64 else 1e-4)
        got = _worker_gradients(sub, loss, net, grads, what, "net")
        rtol, atol = (1e-6, 1e-9) if dtype == torch.float64 else (1e-3, 1e-6)
        if all(matching(got[k], [g], rtol, atol) is not None for k, g in grads.items()):
            continue
        direct = _reference_window_loss(lf, params, win, n_drive, adjoint=False)[1]
        expect(not all(matching(got[k], [g], rtol, atol) is not None for k, g in direct.items()),
               f"{what}: the gradients are those of backpropagation through odeint, not the "
               "adjoint method's: integrate the closed loop with torchdiffeq.odeint_adjoint")
        bad = next(k for k, g in grads.items() if matching(got[k], [g], rtol, atol) is None)
        raise CheckFailed(f"{what}: the gradient of the loss with respect to net.{bad} differs "
                          "from the adjoint method's for this loss (one call of odeint_adjoint "
                          "over the sample times 0..L, RK4 with one step per sample)")


@QUESTIONS.question("flow_model", points=4, timeout=60)
def flow_model(sub, ref):
    from lib import flow as lf
    _check_window_loss(sub, lf)
    info = sub.get_params("flow_model", attrs=["tau", "h_init"])
    p = info["params"]
    expect(isinstance(p, dict), "flow_model's parameters could not be read (is it a FlowCTRNN?)")
    for name in FLOW_PARAMETERS:
        expect(name in p, f"flow_model has no parameter named {name} (is it a FlowCTRNN?)")
    N = trained_units(p["W"], "flow_model", "hidden units")
    expect(N <= FLOW_MAX_UNITS, f"flow_model has {N} hidden units; the grader integrates flows "
                                f"of at most {FLOW_MAX_UNITS} units (the notebook trains 150)")
    expect_trained_parameters(p, {"W": (N, N), "U": (N, 3), "b": (N,), "C": (3, N), "c": (3,)},
                              "flow_model")
    try:
        tau = float(info["attrs"]["tau"])
    except (TypeError, ValueError, KeyError):
        raise CheckFailed("flow_model must have a float attribute tau") from None
    expect(math.isfinite(tau) and tau > 0, "flow_model.tau must be positive")
    h_init = info["attrs"].get("h_init")
    expect(isinstance(h_init, torch.Tensor) and shape_of(h_init) == (N,)
           and h_init.is_floating_point() and bool(torch.isfinite(h_init).all()),
           "flow_model.h_init must be a finite float tensor of shape (N,) (the state every "
           "warm-up starts from: fit_flow_readout sets it)")
    net = load_parameters(lf.FlowCTRNN(N, tau=tau), {k: p[k] for k in FLOW_PARAMETERS},
                          torch.float64)
    with torch.no_grad():
        net.h_init.copy_(h_init.to(torch.float64))
    # no flow is shipped with any assignment: nothing to copy (expect_not_shipped has no
    # entry for it); the model is judged by what it computes on data it never saw
    vpt = lf.flow_valid_prediction_times(net, held_out(ref))
    med = float(np.median(vpt)) if np.all(np.isfinite(vpt)) else 0.0
    expect(med >= FLOW_VPT_MIN,
           f"flow_model on held-out Lorenz data (another initial condition, standardised with "
           f"train_mean/train_std; 50 samples of warm-up driven by the data, then the closed "
           f"loop, RK4 with 2 steps per sample, threshold 0.5): median valid prediction time "
           f"over 20 starts {med:.2f} Lyapunov times, required >= {FLOW_VPT_MIN}")
