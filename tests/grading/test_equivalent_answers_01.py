"""Correct answers written differently get full marks (01_continuous_time_rnn).

Each style replaces every graded function's cell in one copy of the source notebook (the
notebook is re-executed, training included, so one sandbox run per style) and asserts full
marks on every replaced question.  ``ctrnn_model``'s alternatives keep the cell's given
scaffolding and recipe and solve the readout's least-squares problem another way.
"""

import pytest

from notebooks import exercise_cells, grade, read, source_path, variant

A = "01_continuous_time_rnn"


def _ctrnn_model_cell(solve):
    """The source's ctrnn_model cell with its solution lines replaced by ``solve``."""
    src = exercise_cells(read(source_path(A)))["ctrnn_model"].source
    head, rest = src.split("    ### BEGIN SOLUTION\n")
    tail = rest.split("    ### END SOLUTION\n")[1]
    return head + solve.strip("\n") + "\n" + tail

STYLE_EINSUM = {
    "ctrnn_rhs": '''
def ctrnn_rhs(h, x, W_rec, W_in, b, tau):
    drive = torch.einsum("...j,ij->...i", h, W_rec) + torch.einsum("...d,nd->...n", x, W_in)
    return (torch.tanh(drive + b) - h) * (1.0 / tau)
''',
    # Euler step written inline, outputs concatenated
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    h, x = h0, x0
    outs = []
    for _ in range(n_steps):
        pre = h @ model.W_rec.T + x @ model.W_in.T + model.b
        h = h + (model.dt / model.tau) * (torch.tanh(pre) - h)
        x = torch.nn.functional.linear(h, model.readout.weight, model.readout.bias)
        outs.append(x.unsqueeze(0))
    return torch.cat(outs, dim=0)
''',
    # the ridge problem as an augmented least-squares problem (P is 0/1 diagonal: P.T P = P)
    "ctrnn_model": _ctrnn_model_cell('''
    A = torch.cat([Hb, math.sqrt(ridge) * P])
    Wb = torch.linalg.lstsq(A, torch.cat([Y, Y.new_zeros(len(P), Y.shape[1])])).solution
'''),
    # the loss by torch.nn.functional, the grid by linspace
    "trajectory_loss": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    L = x_window.shape[0]
    t = torch.linspace(0.0, (L - 1) * dt, L, dtype=x_window.dtype)
    if adjoint:
        x_hat = torchdiffeq.odeint_adjoint(func, x_window[0], t, method=method,
                                           adjoint_params=tuple(func.parameters()))
    else:
        x_hat = torchdiffeq.odeint(func, x_window[0], t, method=method)
    return torch.nn.functional.mse_loss(x_hat[1:], x_window[1:])
''',
}

STYLE_LINEAR = {
    "ctrnn_rhs": '''
def ctrnn_rhs(h, x, W_rec, W_in, b, tau):
    F = torch.nn.functional
    return torch.sub(torch.tanh(F.linear(h, W_rec) + F.linear(x, W_in, b)), h) / tau
''',
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    outs = []
    h, x = h0, x0
    while len(outs) < n_steps:
        h = euler_step(h, x, model.W_rec, model.W_in, model.b, model.tau, model.dt)
        x = model.readout(h)
        outs.append(x)
    return torch.stack(outs, dim=0)
''',
    # the normal equations by a Cholesky factorisation
    "ctrnn_model": _ctrnn_model_cell('''
    Wb = torch.cholesky_solve(Hb.T @ Y, torch.linalg.cholesky(Hb.T @ Hb + ridge * P))
'''),
    # one solver call per sample, each from the previous prediction (the same steps)
    "trajectory_loss": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    solve = torchdiffeq.odeint_adjoint if adjoint else torchdiffeq.odeint
    t = torch.tensor([0.0, dt], dtype=x_window.dtype)
    x, total = x_window[0], 0.0
    for k in range(1, len(x_window)):
        x = solve(func, x, t, method=method)[-1]
        total = total + ((x - x_window[k]) ** 2).sum()
    return total / x_window[1:].numel()
''',
}


# closed_loop through the model's own methods: forward (in the CTRNN contract) one sample
# at a time, or the given class's convenience step(h, x)
STYLE_MODEL_METHODS = {
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    outs, h, x = [], h0, x0
    for _ in range(n_steps):
        y_seq, h_seq = model(x[None], h)
        h, x = h_seq[0], y_seq[0]
        outs.append(x)
    return torch.stack(outs)
''',
}
STYLE_STEP_METHOD = {
    "closed_loop": '''
def closed_loop(model, x0, h0, n_steps):
    outs, h, x = [], h0, x0
    for _ in range(n_steps):
        h = model.step(h, x)
        x = model.readout(h)
        outs.append(x)
    return torch.stack(outs)
''',
}


@pytest.mark.slow
@pytest.mark.parametrize("style", [STYLE_EINSUM, STYLE_LINEAR, STYLE_MODEL_METHODS, STYLE_STEP_METHOD],
                         ids=["einsum", "linear", "forward", "step"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: results[q]["message"] for q in style
             if results[q]["score"] < results[q]["max_score"]}
    assert not wrong, wrong


# ---- fast: correct gradients by any route (hidden.a01 compares their values) --------------
TRAJECTORY_LOSS_STYLES = {
    "linspace_explicit_adjoint_params": STYLE_EINSUM["trajectory_loss"],
    "one_solve_per_sample": STYLE_LINEAR["trajectory_loss"],
    # backprop with activation checkpointing: gradients bit-identical to plain backprop (the
    # backward pass evaluates func again, which the old call counter took for the adjoint)
    "activation_checkpointing": '''
def trajectory_loss(func, x_window, dt, method="rk4", adjoint=False):
    from torch.utils.checkpoint import checkpoint
    t = torch.arange(x_window.shape[0], dtype=x_window.dtype) * dt
    if adjoint:
        x_hat = torchdiffeq.odeint_adjoint(func, x_window[0], t, method=method)
    else:
        x_hat = checkpoint(lambda x0: torchdiffeq.odeint(func, x0, t, method=method),
                           x_window[0], use_reentrant=False)
    return torch.mean((x_hat[1:] - x_window[1:]) ** 2)
''',
}


@pytest.mark.parametrize("name", sorted(TRAJECTORY_LOSS_STYLES))
def test_trajectory_loss_correct_gradients_pass(name):
    from test_mutants_01 import trajectory_loss_verdict
    assert trajectory_loss_verdict(TRAJECTORY_LOSS_STYLES[name]) is None
