"""Plausible mistakes in 01_continuous_time_rnn lose exactly their exercise's points
(the issue's example: W_rec transposed), and a stub gets zero.  (euler_step, CTRNN,
ctrnn_ode_step, prediction_error and valid_prediction_time are given code since the
four-hour core, issue 23: not graded, so no mutants.)

The slow tests grade notebook variants in the sandbox (each runs the notebook, ~30 s); the
fast ones run one hidden check in this process on a namespace (``inprocess.InProcess``).
"""

import textwrap

import pytest
import torch

from grading.checks import CheckFailed
from inprocess import InProcess
from notebooks import grade, variant

A = "01_continuous_time_rnn"

MUTANTS = {
    "ctrnn_rhs": '''
def ctrnn_rhs(h, x, W_rec, W_in, b, tau):
    return (-h + torch.tanh(h @ W_rec + x @ W_in.T + b)) / tau''',
    # the initial condition counted as a prediction
    "trajectory_loss": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    return torch.mean((solve(func, x_window[0], t, method=method) - x_window) ** 2)''',
}

MUTANTS_B = {
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    h, x = h0, x0
    outs = [x0]
    for _ in range(n_steps - 1):
        h = euler_step(h, x, model.W_rec, model.W_in, model.b, model.tau, model.dt)
        x = model.readout(h)
        outs.append(x)
    return torch.stack(outs)''',
    # the adjoint flag ignored: the value is right, the gradient is backprop's (the grader's
    # step tells the two apart, see test_trajectory_loss_gradients_are_judged_by_their_values)
    "trajectory_loss": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    x_hat = torchdiffeq.odeint(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
}


# the initial state cut from the graph (no gradient reaches h0)
MUTANTS_C = {
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    h, x, outs = h0.detach(), x0, []
    for _ in range(n_steps):
        h = euler_step(h, x, model.W_rec, model.W_in, model.b, model.tau, model.dt)
        x = model.readout(h)
        outs.append(x)
    return torch.stack(outs)''',
    # the time grid in steps instead of time units
    "trajectory_loss": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype)
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    x_hat = solve(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
}


@pytest.mark.slow
@pytest.mark.parametrize("group", [MUTANTS, MUTANTS_B, MUTANTS_C], ids=["A", "B", "C"])
def test_mutants_lose_exactly_their_points(tmp_path, group):
    path = variant(A, tmp_path, replace=group)
    scores, results, _ = grade(A, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    # the notebook trains ctrnn_model with the student's own (here wrong) CT-RNN step, and
    # the grader runs its parameters in the reference CT-RNN: that model may fail too
    assert lost - {"ctrnn_model"} == set(group), {q: results[q]["message"] for q in scores}


@pytest.mark.slow
def test_untrained_model_fails(tmp_path):
    path = variant(A, tmp_path, replace={"ctrnn_model": "ctrnn_model = CTRNN(3, 128, 3)"})
    scores, results, _ = grade(A, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    assert lost == {"ctrnn_model"}, {q: results[q]["message"] for q in scores}


# ---- fast: trajectory_loss's gradients are told apart by their values ---------------------
# issue 24: the grader counted the vector field's evaluations during backward() in the
# submission's process; one extra evaluation let plain backprop pass as the adjoint.  Now
# the gradients are compared with odeint_adjoint's and odeint's, which differ at the
# grader's step (hidden.a01's ADJOINT_SIGNATURE).
GRADIENT_MUTANTS = {
    # plain backprop that evaluates func once more during backward (the old counter's blind
    # spot): the value and the exact gradient, passed off as the adjoint
    "extra_evaluation_in_backward": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    x_hat = torchdiffeq.odeint(func, x_window[0], t, method=method)
    if adjoint:
        x_hat.register_hook(lambda g: (func(t[0], x_window[0].detach()), g)[1])
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
    # the flag ignored: always backprop (right for adjoint=False only)
    "adjoint_ignored": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    x_hat = torchdiffeq.odeint(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
    # the flag inverted
    "adjoint_inverted": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    solve = torchdiffeq.odeint if adjoint else torchdiffeq.odeint_adjoint
    x_hat = solve(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
    # always the adjoint (right for adjoint=True only)
    "always_adjoint": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    x_hat = torchdiffeq.odeint_adjoint(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
    # the adjoint with a finer backward solve than the default options
    "adjoint_own_options": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    if adjoint:
        x_hat = torchdiffeq.odeint_adjoint(func, x_window[0], t, method=method,
                                           adjoint_options={"step_size": dt / 4})
    else:
        x_hat = torchdiffeq.odeint(func, x_window[0], t, method=method)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)''',
}


def trajectory_loss_verdict(source):
    """``None`` when hidden.a01's trajectory_loss check passes ``source``, else its message."""
    import lib
    import torchdiffeq
    import hidden.a01_continuous_time_rnn as H
    ns = {"torch": torch, "torchdiffeq": torchdiffeq}
    exec(textwrap.dedent(source), ns)
    check = next(q["check"] for q in H.QUESTIONS.questions if q["name"] == "trajectory_loss")
    try:
        check(InProcess(ns), lib)
    except CheckFailed as e:
        return str(e)
    return None


@pytest.mark.parametrize("name", sorted(GRADIENT_MUTANTS))
def test_trajectory_loss_gradients_are_judged_by_their_values(name):
    message = trajectory_loss_verdict(GRADIENT_MUTANTS[name])
    assert message is not None and "adjoint" in message, message


def test_the_graders_step_separates_the_adjoint_from_backprop():
    """At hidden.a01's signature step the two gradients differ by ADJOINT_SIGNATURE (7.5e-3
    relative), hundreds of times the tolerance that decides which one a submission gave."""
    import lib
    import hidden.a01_continuous_time_rnn as H
    from grading.checks import rng, tensor
    params = H._signature_params()
    win = tensor(rng(H.SIGNATURE_SEED + 100).normal(size=(5, 3, 3)), torch.float64)
    refs = {a: H._reference_loss(lib, params, win, H.SIGNATURE_DT, adjoint=a)[1]
            for a in (False, True)}
    gap = H._relative_distance(refs[True], refs[False])
    assert gap == pytest.approx(H.ADJOINT_SIGNATURE, rel=0.05)
    assert gap >= 300 * H.SIGNATURE_RTOL
    again = H._reference_loss(lib, params, win, H.SIGNATURE_DT, adjoint=True)[1]
    assert H._relative_distance(again, refs[True]) <= 1e-12
