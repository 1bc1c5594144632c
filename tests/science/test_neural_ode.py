"""The Neural ODE of 01 (lib.neural_ode): the graded loss, its gradient methods, the protocol."""

import numpy as np
import torch

from lib import neural_ode as N


class Drift(torch.nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = torch.nn.Parameter(torch.as_tensor(v, dtype=torch.float64))

    def forward(self, t, x):
        return self.v.expand_as(x)


def test_loss_is_zero_on_the_exact_trajectory_and_counts_samples_1_to_L_minus_1():
    v = [1.0, -2.0, 0.5]
    times = torch.arange(5, dtype=torch.float64)[:, None, None] * 0.1
    path = torch.zeros(1, 2, 3, dtype=torch.float64) + times * torch.tensor(v, dtype=torch.float64)
    assert N.trajectory_loss(Drift(v), path, 0.1).item() < 1e-24
    off = path.clone()
    off[1:] += 0.2
    assert abs(N.trajectory_loss(Drift(v), off, 0.1).item() - 0.04) < 1e-12
    off[0] += 1.0   # the start is the initial condition: moving it moves the whole path
    assert abs(N.trajectory_loss(Drift(v), off, 0.1).item() - 0.64) < 1e-12


def test_adjoint_and_backprop_give_the_same_gradient():
    f = N.MLPField(3, 16, seed=1, gain=2.0).double()
    win = torch.randn(6, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    grads = []
    for adjoint in (False, True):
        f.zero_grad()
        N.trajectory_loss(f, win, 0.05, adjoint=adjoint).backward()
        grads.append(torch.cat([p.grad.flatten() for p in f.parameters()]))
    assert torch.allclose(grads[0], grads[1], rtol=1e-6, atol=1e-10)


def test_the_adjoint_keeps_no_graph_of_the_solver():
    f = N.MLPField(3, 16, seed=1)
    win = torch.randn(33, 8, 3, generator=torch.Generator().manual_seed(0))
    assert N.saved_bytes(f, win, 0.02, "adjoint") * 10 < N.saved_bytes(f, win, 0.02, "odeint")
    assert N.saved_bytes(f, win, 0.02, "euler") < N.saved_bytes(f, win, 0.02, "odeint")


def test_euler_loss_is_trajectory_loss_with_euler():
    f = N.MLPField(3, 16, seed=2).double()
    win = torch.randn(5, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a = N.euler_window_loss(f, win, 0.05)
    b = N.trajectory_loss(f, win, 0.05, method="euler")
    assert torch.allclose(a, b, rtol=1e-12)


def test_forecasts_use_the_shared_protocol_starts():
    f = N.MLPField(3, 8, seed=0).double()
    series = torch.randn(800, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    vpt = N.node_valid_prediction_times(f, series, n_starts=5, horizon=100)
    assert vpt.shape == (5,) and np.all((vpt >= 0) & (vpt <= 100 * 0.02 * 0.9056 + 1e-12))
