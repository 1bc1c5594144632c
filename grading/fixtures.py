"""Objects the grader asks the worker to build and pass to a student's function.

Hidden checks cannot send Python callables or modules across the sandbox boundary,
so they name a fixture and its parameters.  Fixtures are deliberately *not*
implementations of any graded exercise (vector fields other than Lorenz's, probe
steps that are not RK4 or Euler, parameter shells without a ``forward``), so a
submission gains nothing by finding them.  This file is public.

A fixture builder takes a dict of decoded parameters and returns the object.
"""

import math

BUILDERS = {}


def fixture(name):
    def register(fn):
        BUILDERS[name] = fn
        return fn
    return register


def build(name, params):
    if name not in BUILDERS:
        raise KeyError(f"unknown fixture {name!r}")
    return BUILDERS[name](**params)


def generator(seed):
    import torch
    return torch.Generator().manual_seed(int(seed))


def _xp(x):
    """numpy for arrays, torch for tensors."""
    if type(x).__module__.startswith("torch"):
        import torch
        return torch
    import numpy
    return numpy


@fixture("tanh_field")
def tanh_field(A, c):
    """f(x) = tanh(x @ A.T) + c on the last axis (works on batches)."""
    def f(x):
        xp = _xp(x)
        a = A if xp.__name__ == "numpy" else xp.as_tensor(A, dtype=x.dtype)
        cc = c if xp.__name__ == "numpy" else xp.as_tensor(c, dtype=x.dtype)
        return xp.tanh(x @ a.T) + cc
    return f


@fixture("linear_field")
def linear_field(A):
    """f(x) = x @ A.T."""
    def f(x):
        xp = _xp(x)
        a = A if xp.__name__ == "numpy" else xp.as_tensor(A, dtype=x.dtype)
        return x @ a.T
    return f


@fixture("probe_step")
def probe_step(scale):
    """A stand-in for a one-step integrator: x + scale*dt*f(x) + dt**2 (not RK4)."""
    def step(f, x, dt):
        return x + scale * dt * f(x) + dt ** 2
    return step


@fixture("probe_euler")
def probe_euler(scale):
    """A stand-in for the CT-RNN update (not the exercise's Euler step):
    h + scale*dt*tanh(h @ W_rec.T + x @ W_in.T + b)/tau."""
    def step(h, x, W_rec, W_in, b, tau, dt):
        import torch
        return h + scale * dt * torch.tanh(h @ W_rec.T + x @ W_in.T + b) / tau
    return step


@fixture("ctrnn_shell")
def ctrnn_shell(W_rec, W_in, b, readout_weight, readout_bias, tau, dt):
    """An ``nn.Module`` with the CT-RNN's parameters, readout, attributes, and the update
    of the spec (``forward(x_seq, h0=None)`` and the release's convenience ``step(h, x)``),
    so that a ``closed_loop`` written with the model's own methods works on it."""
    import torch
    from torch import nn

    class Shell(nn.Module):
        def step(self, h, x):
            drive = h @ self.W_rec.T + x @ self.W_in.T + self.b
            return h + self.dt * (-h + torch.tanh(drive)) / self.tau

        def forward(self, x_seq, h0=None):
            h = x_seq.new_zeros(x_seq.shape[1], self.W_rec.shape[0]) if h0 is None else h0
            hs = []
            for x in x_seq:
                h = self.step(h, x)
                hs.append(h)
            h_seq = torch.stack(hs)
            return self.readout(h_seq), h_seq

    m = Shell()
    m.W_rec = nn.Parameter(W_rec.clone())
    _inputs_and_readout(m, W_in, b, readout_weight, readout_bias, W_rec.dtype)
    m.tau, m.dt = float(tau), float(dt)
    m.n_hidden = W_rec.shape[0]
    return m


def _inputs_and_readout(m, W_in, b, readout_weight, readout_bias, dtype):
    """Give the shell module ``m`` the parameters ``W_in`` (N, d_in), ``b`` (N,) and a linear
    ``readout`` (d_out, n) of ``dtype`` with the given weight and bias (in place)."""
    import torch
    from torch import nn
    m.W_in = nn.Parameter(W_in.clone())
    m.b = nn.Parameter(b.clone())
    m.readout = nn.Linear(readout_weight.shape[1], readout_weight.shape[0], dtype=dtype)
    with torch.no_grad():
        m.readout.weight.copy_(readout_weight)
        m.readout.bias.copy_(readout_bias)


# ---- 02_balanced_rate_network ------------------------------------------------------------
@fixture("torch_function")
def torch_function(fn):
    """An element-wise torch function by name (``tanh``, ``sigmoid``...) used as ``phi``."""
    import torch
    if fn not in ("tanh", "sigmoid", "relu"):
        raise ValueError(fn)
    return getattr(torch, fn)


@fixture("probe_dale_signs")
def probe_dale_signs(e_value, i_value):
    """A stand-in for ``dale_signs`` (not the exercise): e_value for E, i_value for I."""
    import torch

    def signs(n_exc, n_inh):
        return torch.cat([torch.full((n_exc,), float(e_value)), torch.full((n_inh,), float(i_value))])
    return signs


@fixture("probe_apply_dale")
def probe_apply_dale(offset):
    """A stand-in for ``apply_dale`` (not the exercise): (W_raw**2 + offset) * signs."""
    def apply(W_raw, signs):
        return (W_raw ** 2 + offset) * signs.to(W_raw.dtype)
    return apply


@fixture("eirnn_shell")
def eirnn_shell(W_rec, W_in, b, readout_weight, readout_bias, n_exc, n_inh, tau_E, tau_I,
                dt, probe_scale, W_rec_raw=None):
    """An ``nn.Module`` with the E/I RNN's parameters and attributes.

    The property ``W_rec`` returns ``W_rec`` as given (it already obeys Dale's law);
    ``W_rec_raw`` holds the unconstrained parameter it comes from (``W_rec`` itself when not
    given), so that code stepping with the raw weights is told apart; ``forward`` is a
    probe (not the exercise's update):
    ``r + probe_scale*dt/tau_E*(-r + tanh(r @ W_rec.T + x @ W_in.T + b))`` for every unit.
    """
    import torch
    from torch import nn

    class Shell(nn.Module):
        @property
        def W_rec(self):
            return self.fixed_W_rec

        def forward(self, x_seq, r0=None):
            r = r0 if r0 is not None else x_seq.new_zeros(x_seq.shape[1], self.fixed_W_rec.shape[0])
            rs = []
            for t in range(x_seq.shape[0]):
                u = r @ self.fixed_W_rec.T + x_seq[t] @ self.W_in.T + self.b
                r = r + self.probe_scale * self.dt / self.tau_E * (-r + torch.tanh(u))
                rs.append(r)
            r_seq = torch.stack(rs)
            return self.readout(r_seq[..., :self.n_exc]), r_seq

    m = Shell()
    m.W_rec_raw = nn.Parameter((W_rec if W_rec_raw is None else W_rec_raw).clone())
    m.register_buffer("fixed_W_rec", W_rec.clone())
    _inputs_and_readout(m, W_in, b, readout_weight, readout_bias, W_rec.dtype)
    m.n_exc, m.n_inh = int(n_exc), int(n_inh)
    m.tau_E, m.tau_I, m.dt = float(tau_E), float(tau_I), float(dt)
    m.probe_scale = float(probe_scale)
    return m


del math


# ---- 04_dynamical_analysis ------------------------------------------------------------
@fixture("cubic_field")
def cubic_field(M, P):
    """F(h) = g(h @ P.T) @ M.T with g(u) = u - u**3 elementwise (batches of torch tensors).

    With M and P invertible its fixed points are h = P^-1 v for every v in {-1, 0, 1}^N."""
    def F(h):
        import torch
        m = torch.as_tensor(M, dtype=h.dtype)
        p = torch.as_tensor(P, dtype=h.dtype)
        u = h @ p.T
        return (u - u ** 3) @ m.T
    return F


@fixture("constant_jacobian")
def constant_jacobian(A):
    """A 'Jacobian' that returns the constant matrix A (in the dtype of the state)."""
    def jac(x):
        import torch
        return torch.as_tensor(A, dtype=x.dtype).clone()
    return jac


@fixture("henon_map")
def henon_map(a, b):
    """The Henon map (x, y) -> (1 - a x**2 + y, b x) on a tensor of shape (2,)."""
    def step(x):
        import torch
        return torch.stack([1 - a * x[0] ** 2 + x[1], b * x[0]])
    return step


@fixture("henon_jacobian")
def henon_jacobian(a, b):
    """The analytic Jacobian of the Henon map at a state of shape (2,)."""
    def jac(x):
        import torch
        return torch.tensor([[-2.0 * a * float(x[0]), 1.0], [b, 0.0]], dtype=x.dtype)
    return jac


@fixture("probe_lif")
def probe_lif(leak, gain):
    """A stand-in neuron step for 03 (not the exercise's LIF step):
    v' = v + dt/tau_m*(leak*(v_rest - v) + gain*i_in); spikes where v' > v_th, reset to v_reset."""
    def step(v, i_in, tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3):
        import torch
        v_new = v + dt / tau_m * (leak * (v_rest - v) + gain * i_in)
        spiking = v_new > v_th
        return spiking.to(v.dtype), torch.where(spiking, torch.full_like(v_new, v_reset), v_new)
    return step


@fixture("probe_ctrnn_rhs")
def probe_ctrnn_rhs(scale):
    """A stand-in vector field for 01 (not the exercise's CT-RNN field):
    (-scale*h + sin(h @ W_rec.T + x @ W_in.T + b)) / tau."""
    def rhs(h, x, W_rec, W_in, b, tau):
        import torch
        return (-scale * h + torch.sin(h @ W_rec.T + x @ W_in.T + b)) / tau
    return rhs


@fixture("max_abs_error")
def max_abs_error():
    """A stand-in per-step error for 01 (not the exercise's RMS error):
    max over the last axis of abs((pred - true) / std)."""
    def err(pred, true, std):
        return ((pred - true) / std).abs().amax(dim=-1)
    return err


@fixture("silent_lif")
def silent_lif():
    """A stand-in neuron step for 03 that never fires: returns ``(zeros, v)`` (no spike,
    the voltage left where it was).  Used to silence a reservoir during one call."""
    def step(v, i_in, tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3):
        import torch
        return torch.zeros_like(v), v.clone()
    return step


@fixture("mlp_field")
def mlp_field(W1, b1, W2, b2):
    """A vector field ``f(t, x) = W2 tanh(W1 x + b1) + b2`` as an ``nn.Module`` (torchdiffeq's
    signature, ``t`` ignored) for 01's Neural ODE.  Whether a gradient came from the adjoint
    method is told by its value, computed in the grader, not by anything counted here."""
    import torch
    from torch import nn

    class Field(nn.Module):
        def forward(self, t, x):
            return torch.tanh(x @ self.W1.T + self.b1) @ self.W2.T + self.b2

    f = Field()
    for name, value in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        setattr(f, name, nn.Parameter(value.clone()))
    return f


@fixture("flow_shell")
def flow_shell(W, U, b, C, c, tau, h_init):
    """01's CT-RNN as a flow, built from given parameters (the notebook's given
    ``FlowCTRNN`` without its initialisation): ``readout``, ``field`` and ``closed_field``
    are the notebook's given methods, so a student's loss built on ``drive`` and
    ``ClosedField`` runs on it as on the notebook's network."""
    import torch
    from torch import nn

    class Flow(nn.Module):
        def readout(self, h):
            return self.c + h @ self.C.T

        def field(self, h, x):
            drive = h @ self.W.T + x @ self.U.T + self.b
            return (torch.tanh(drive) - h) / self.tau

        def closed_field(self, h):
            y = self.readout(h)
            return self.field(h, y)

    f = Flow()
    for name, value in (("W", W), ("U", U), ("b", b), ("C", C), ("c", c)):
        setattr(f, name, nn.Parameter(value.clone()))
    f.tau = float(tau)
    f.register_buffer("h_init", h_init.clone())
    return f
