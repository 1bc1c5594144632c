"""01's CT-RNN as a flow (lib.flow): the flow is the ODE's, not the solver's; the loss
counts the closed loop's samples; the velocity block fits the readout's velocity; training
through the adjoint lengthens the forecasts."""

import numpy as np
import pytest
import torch

from lib import flow
from lib.ctrnn import standardised_splits
from lib.task import lorenz_task


@pytest.fixture(scope="module")
def splits():
    torch.set_num_threads(1)
    return standardised_splits(lorenz_task())


@pytest.fixture(scope="module")
def readout_only(splits):
    return flow.fit_flow_readout(flow.FlowCTRNN(seed=0), splits[0])


def test_halving_the_step_moves_forecasts_negligibly(readout_only, splits):
    """The forecasts (two RK4 steps per sample) are the flow's: four steps move them by
    less than 1e-3 standardised units in the first Lyapunov time (55 samples)."""
    test = splits[2]
    two, _ = flow.flow_forecasts(readout_only, test, steps_per_sample=2)
    four, _ = flow.flow_forecasts(readout_only, test, steps_per_sample=4)
    assert float((two - four)[:55].norm(dim=-1).max()) < 1e-3


def test_the_loss_counts_the_closed_loop_samples_only():
    """With C = 0 the readout is the constant c: the loss is the mean of (c - data)^2 over
    win[n_drive + 1:], and its gradient reaches c."""
    net = flow.FlowCTRNN(n_hidden=4, seed=1).double()
    with torch.no_grad():
        net.c.copy_(torch.tensor([0.5, -0.5, 0.0], dtype=torch.float64))
    win = torch.randn(7, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    loss = flow.closed_window_loss(net, win, n_drive=2)
    assert abs(float(loss) - float(torch.mean((net.c.detach() - win[3:]) ** 2))) < 1e-14
    loss.backward()
    assert float(net.c.grad.abs().sum()) > 0


@pytest.mark.slow
def test_training_through_the_adjoint_beats_the_readout(splits):
    """One seed of 01's recipe (about 30 s): the trained flow's median VPT on the test split
    lies above the readout-only network's upper quartile.  (Three seeds: benchmarks, q01.)"""
    net, readout, info = flow.train_flow_ctrnn(lorenz_task(), seed=0)
    trained = flow.flow_valid_prediction_times(net, splits[2])
    before = flow.flow_valid_prediction_times(readout, splits[2])
    assert np.median(trained) > np.percentile(before, 75), (np.median(trained), np.percentile(before, 75))


def test_the_velocity_block_fits_the_readouts_velocity(readout_only, splits):
    """01's optional velocity fit: with derivative_weight the readout's velocity C dh/dt on
    the driven states is closer to the data's (five-point differences, as the fit's) than
    with values only."""
    from lib.task import DT
    train = splits[0]
    velocity = flow.fit_flow_readout(flow.FlowCTRNN(seed=0), train,
                                     derivative_weight=flow.DERIVATIVE_WEIGHT)
    u = train.double()[:4000]
    u_dot = (-u[4:] + 8 * u[3:-1] - 8 * u[1:-3] + u[:-4]) / (12 * DT)

    @torch.no_grad()
    def velocity_error(net):
        net = net.double()
        try:
            H = flow.drive(net, u[:, None])[:, 0]
            return float(((net.field(H, u) @ net.C.T)[2:-2][100:] - u_dot[100:]).pow(2).mean())
        finally:
            net.float()

    assert velocity_error(velocity) < 0.25 * velocity_error(readout_only)   # measured: 0.11


def test_the_drive_passes_through_the_samples_with_a_continuous_slope():
    """The driven field's input between samples is a cubic Hermite piece: it equals the
    samples at integer times, reproduces a quadratic exactly (central differences are exact
    for it), and its slope is the same from both sides of a sample."""
    class Probe(torch.nn.Module):          # the field returns its input x: DrivenField shows x
        def field(self, h, x):
            return x / flow.DT
    s = torch.arange(8, dtype=torch.float64)
    u = torch.stack([s ** 2, 3 * s - 1, torch.sin(s)], -1)[:, None]          # (L, 1, 3)
    f = flow.DrivenField(Probe(), u)
    x = lambda t: f(torch.tensor(t, dtype=torch.float64), None)[0]
    for i in range(len(s)):
        assert torch.allclose(x(float(i)), u[i, 0], atol=1e-12)
    assert abs(float(x(2.3)[0]) - 2.3 ** 2) < 1e-12
    assert abs(float(x(4.6)[1]) - (3 * 4.6 - 1)) < 1e-12
    eps = 1e-6
    left = (x(3.0 - 1e-9) - x(3.0 - eps - 1e-9)) / eps
    right = (x(3.0 + eps) - x(3.0)) / eps
    assert torch.allclose(left, right, atol=1e-4)


def test_the_sample_step_carries_its_exact_tangent():
    """05's exponent of the flow: the tangent that lib.flow.closed_sample_step carries
    through the RK4 stages is the step's derivative (central differences, float64)."""
    net = flow.FlowCTRNN(n_hidden=6, seed=3).double().requires_grad_(False)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        net.C.copy_(torch.randn(3, 6, generator=g, dtype=torch.float64) * 0.5)
        net.c.copy_(torch.randn(3, generator=g, dtype=torch.float64) * 0.1)
    step = flow.closed_sample_step(net)
    h = torch.randn(6, generator=g, dtype=torch.float64) * 0.5
    V = torch.randn(6, 2, generator=g, dtype=torch.float64)
    none = torch.zeros(6, 0, dtype=torch.float64)
    _, tangent = step(h, V)
    eps = 1e-6
    for j in range(2):
        fd = (step(h + eps * V[:, j], none)[0] - step(h - eps * V[:, j], none)[0]) / (2 * eps)
        assert torch.allclose(tangent[:, j], fd, rtol=1e-6, atol=1e-9)
