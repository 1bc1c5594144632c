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
    """An ``nn.Module`` with the CT-RNN's parameters and readout, and no forward."""
    import torch
    from torch import nn

    class Shell(nn.Module):
        pass

    m = Shell()
    m.W_rec = nn.Parameter(W_rec.clone())
    m.W_in = nn.Parameter(W_in.clone())
    m.b = nn.Parameter(b.clone())
    m.readout = nn.Linear(readout_weight.shape[1], readout_weight.shape[0], dtype=W_rec.dtype)
    with torch.no_grad():
        m.readout.weight.copy_(readout_weight)
        m.readout.bias.copy_(readout_bias)
    m.tau, m.dt = float(tau), float(dt)
    m.n_hidden = W_rec.shape[0]
    return m


@fixture("count_calls")
def count_calls(A):
    """A linear field that counts its calls in ``f.calls``."""
    def f(x):
        f.calls += 1
        return linear_field(A)(x)
    f.calls = 0
    return f


@fixture("scaled_sin_map")
def scaled_sin_map(a):
    """A smooth map x -> a*sin(x) used where a discrete map is needed."""
    def step(x):
        xp = _xp(x)
        return a * xp.sin(x)
    return step


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
