"""Correct answers written differently get full marks (01_continuous_time_rnn).

Each style replaces every graded function's cell in one copy of the source notebook (the
notebook is re-executed, training included, so one sandbox run per style) and asserts full
marks on every replaced question.  The CTRNN alternatives keep the solution's
initialisation (the spec leaves it free, and the notebook trains ``ctrnn_model`` with it)
and rewrite ``forward``.
"""

import pytest

from notebooks import grade, variant

A = "01_continuous_time_rnn"

# the solution's constructor, shared by both styles (only forward differs)
_CTRNN_INIT = '''
class CTRNN(nn.Module):
    def __init__(self, n_in, n_hidden, n_out, tau=0.04, dt=0.02, rho=0.5, input_scale=0.5,
                 bias_scale=0.5, seed=None):
        super().__init__()
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.tau, self.dt = float(tau), float(dt)
        W = torch.randn(n_hidden, n_hidden, generator=gen)
        radius = torch.linalg.eigvals(W).abs().max()
        self.W_rec = nn.Parameter(W * (rho / radius))
        self.W_in = nn.Parameter(torch.randn(n_hidden, n_in, generator=gen)
                                 * (input_scale / math.sqrt(n_in)))
        self.b = nn.Parameter((torch.rand(n_hidden, generator=gen) * 2 - 1) * bias_scale)
        self.readout = nn.Linear(n_hidden, n_out)
        with torch.no_grad():
            bound = 1 / math.sqrt(n_hidden)
            self.readout.weight.copy_((torch.rand(n_out, n_hidden, generator=gen) * 2 - 1) * bound)
            self.readout.bias.zero_()

    def step(self, h, x):
        return euler_step(h, x, self.W_rec, self.W_in, self.b, self.tau, self.dt)
'''

STYLE_EINSUM = {
    "ctrnn_rhs": '''
def ctrnn_rhs(h, x, W_rec, W_in, b, tau):
    drive = torch.einsum("...j,ij->...i", h, W_rec) + torch.einsum("...d,nd->...n", x, W_in)
    return (torch.tanh(drive + b) - h) * (1.0 / tau)
''',
    # inline vector field (does not call ctrnn_rhs)
    "euler_step": '''
def euler_step(h, x, W_rec, W_in, b, tau, dt):
    a = dt / tau
    return (1 - a) * h + a * torch.tanh(torch.einsum("...j,ij->...i", h, W_rec)
                                        + torch.einsum("...d,nd->...n", x, W_in) + b)
''',
    # preallocated outputs filled step by step, functional readout
    "CTRNN": _CTRNN_INIT + '''
    def forward(self, x_seq, h0=None):
        T, B, _ = x_seq.shape
        N = self.W_rec.shape[0]
        h = torch.zeros(B, N, dtype=x_seq.dtype) if h0 is None else h0
        h_seq = x_seq.new_empty(T, B, N)
        for t in range(T):
            h = self.step(h, x_seq[t])
            h_seq[t] = h
        y_seq = torch.nn.functional.linear(h_seq, self.readout.weight, self.readout.bias)
        return y_seq, h_seq
''',
    # the vector field is a module built inside the function; t from linspace; [1] not [-1]
    "ctrnn_ode_step": '''
class CTRNNField(nn.Module):
    def __init__(self, model, x):
        super().__init__()
        self.model = model
        self.x = x

    def forward(self, t, h):
        return ctrnn_rhs(h, self.x, self.model.W_rec, self.model.W_in, self.model.b,
                         self.model.tau)


def ctrnn_ode_step(model, h, x, dt, method="rk4", adjoint=False):
    class Field(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, t, state):
            m = self.net
            return ctrnn_rhs(state, x, m.W_rec, m.W_in, m.b, m.tau)

    times = torch.linspace(0.0, float(dt), 2, dtype=h.dtype)
    if adjoint:
        sol = torchdiffeq.odeint_adjoint(Field(), h, times, method=method)
    else:
        sol = torchdiffeq.odeint(Field(), h, times, method=method)
    return sol[1]
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
    "prediction_error": '''
def prediction_error(pred, true, std):
    d = pred.shape[-1]
    return torch.linalg.vector_norm((pred - true) / std, dim=-1) / math.sqrt(d)
''',
    # a Python loop over the steps, returning a float
    "valid_prediction_time": '''
def valid_prediction_time(pred, true, std, dt, threshold=0.5, lyapunov_exponent=0.9056):
    errors = prediction_error(pred, true, std).tolist()
    n = 0
    for e in errors:
        if e > threshold:
            break
        n += 1
    return float(n * dt * lyapunov_exponent)
''',
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
    "euler_step": '''
def euler_step(h, x, W_rec, W_in, b, tau, dt):
    return torch.add(h, ctrnn_rhs(h, x, W_rec, W_in, b, tau), alpha=dt)
''',
    # list of hidden states, readout applied per step
    "CTRNN": _CTRNN_INIT + '''
    def forward(self, x_seq, h0=None):
        if h0 is None:
            h0 = x_seq.new_zeros(x_seq.shape[1], self.n_hidden)
        hs, ys, h = [], [], h0
        for x_t in x_seq.unbind(0):
            h = euler_step(h, x_t, self.W_rec, self.W_in, self.b, self.tau, self.dt)
            hs.append(h)
            ys.append(self.readout(h))
        return torch.stack(ys), torch.stack(hs)
''',
    # a closure without adjoint; explicit adjoint_params with adjoint
    "ctrnn_ode_step": '''
class CTRNNField(nn.Module):
    def __init__(self, model, x):
        super().__init__()
        self.model = model
        self.x = x

    def forward(self, t, h):
        m = self.model
        return ctrnn_rhs(h, self.x, m.W_rec, m.W_in, m.b, m.tau)


def ctrnn_ode_step(model, h, x, dt, method="rk4", adjoint=False):
    t = h.new_tensor([0.0, dt])
    if not adjoint:
        f = lambda _t, s: ctrnn_rhs(s, x, model.W_rec, model.W_in, model.b, model.tau)
        return torchdiffeq.odeint(f, h, t, method=method)[-1]
    field = CTRNNField(model, x)
    return torchdiffeq.odeint_adjoint(field, h, t, method=method,
                                      adjoint_params=tuple(field.parameters()))[-1]
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
    "prediction_error": '''
def prediction_error(pred, true, std):
    z = (pred - true) / std
    return (z * z).sum(dim=-1).div(z.shape[-1]).sqrt()
''',
    # vectorised: the number of leading valid steps via a cumulative product
    "valid_prediction_time": '''
def valid_prediction_time(pred, true, std, dt, threshold=0.5, lyapunov_exponent=0.9056):
    ok = (prediction_error(pred, true, std) <= threshold).to(torch.int64)
    n = torch.cumprod(ok, dim=0).sum()
    return n * dt * lyapunov_exponent
''',
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
# at a time, or the release's convenience step(h, x)
STYLE_MODEL_METHODS = {
    # a class written exactly to the contract: no extra constructor arguments, no step()
    # (the notebook's own cells must work with it: init_ctrnn, training, evaluation)
    "CTRNN": '''
class CTRNN(nn.Module):
    def __init__(self, n_in, n_hidden, n_out, tau=0.04, dt=0.02):
        super().__init__()
        self.tau, self.dt = tau, dt
        self.W_rec = nn.Parameter(torch.zeros(n_hidden, n_hidden))
        self.W_in = nn.Parameter(torch.zeros(n_hidden, n_in))
        self.b = nn.Parameter(torch.zeros(n_hidden))
        self.readout = nn.Linear(n_hidden, n_out)

    def forward(self, x_seq, h0=None):
        h = torch.zeros(x_seq.shape[1], self.W_rec.shape[0], dtype=x_seq.dtype) if h0 is None else h0
        hs = []
        for x in x_seq:
            h = euler_step(h, x, self.W_rec, self.W_in, self.b, self.tau, self.dt)
            hs.append(h)
        hs = torch.stack(hs)
        return self.readout(hs), hs
''',
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
