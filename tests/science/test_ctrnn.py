"""Known values of lib/ctrnn.py (fast, fixed seeds)."""

import math

import torch

from lib import ctrnn as C

torch.set_num_threads(1)


def _w(N=4, D=2, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(N, N, generator=g, dtype=dtype), torch.randn(N, D, generator=g, dtype=dtype),
            torch.randn(N, generator=g, dtype=dtype))


def test_rhs_fixed_point_of_single_unit():
    # h = tanh(h) has the fixed point 0; h* = tanh(b) when W_rec = 0
    W, U, b = torch.zeros(1, 1), torch.zeros(1, 1), torch.tensor([0.3])
    h = torch.tanh(b).reshape(1, 1)
    assert torch.allclose(C.ctrnn_rhs(h, torch.zeros(1, 1), W, U, b, 0.7), torch.zeros(1, 1))


def test_rhs_uses_rows_times_transpose():
    W, U, b = _w()
    h, x = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    col = torch.stack([(-h[i] + torch.tanh(W @ h[i] + U @ x[i] + b)) / 0.5 for i in range(3)])
    assert torch.allclose(C.ctrnn_rhs(h, x, W, U, b, 0.5), col)


def test_euler_converges_to_exact_leak():
    h = torch.ones(1, 1, dtype=torch.float64)
    z = torch.zeros(1, 1, dtype=torch.float64)
    for _ in range(1000):
        h = C.euler_step(h, z, z, z, z[0], 0.5, 0.001)
    assert abs(float(h) - math.exp(-2.0)) < 1e-3


def test_ode_step_matches_exact_leak_and_euler_method():
    m = C.CTRNN(2, 4, 2, tau=0.5, dt=0.1).double()
    with torch.no_grad():
        m.W_rec.zero_(); m.W_in.zero_(); m.b.zero_()
    h = torch.ones(3, 4, dtype=torch.float64)
    out = C.ctrnn_ode_step(m, h, torch.zeros(3, 2, dtype=torch.float64), 0.2, method="dopri5")
    assert torch.allclose(out, h * math.exp(-0.4), atol=1e-7)
    m2 = C.CTRNN(2, 4, 2, tau=0.3, seed=1).double()
    x = torch.randn(3, 2, dtype=torch.float64)
    e = C.ctrnn_ode_step(m2, h, x, 0.05, method="euler")
    assert torch.allclose(e, C.euler_step(h, x, m2.W_rec, m2.W_in, m2.b, 0.3, 0.05))


def test_forward_and_closed_loop_agree_when_fed_own_outputs():
    m = C.CTRNN(3, 8, 3, tau=0.1, seed=0).double()
    x0 = torch.randn(2, 3, dtype=torch.float64)
    h0 = torch.zeros(2, 8, dtype=torch.float64)
    out = C.closed_loop(m, x0, h0, 5)
    inputs = torch.cat([x0[None], out[:-1]])
    y, _ = m(inputs, h0)
    assert torch.allclose(y, out)


def test_valid_prediction_time_threshold_is_inclusive():
    true = torch.zeros(4, 3)
    pred = torch.tensor([[0.25] * 3, [0.5] * 3, [0.75] * 3, [0.0] * 3])
    assert abs(C.valid_prediction_time(pred, true, torch.ones(3), 0.02) - 2 * 0.02 * 0.9056) < 1e-12
    assert abs(C.valid_prediction_time(true, true, torch.ones(3), 0.1, lyapunov_exponent=1.0) - 0.4) < 1e-12


def test_reservoir_readout_one_step_error_small():
    from lib.task import lorenz_task
    task = lorenz_task(n_samples=3000)
    train, _, test = C.standardised_splits(task)
    m = C.CTRNN(3, 64, 3, seed=0)
    C.fit_readout(m, train)
    assert C.one_step_error(m, test) < 2e-3


def test_largest_lyapunov_leaves_the_callers_model_alone():
    m = C.CTRNN(3, 16, 3).double()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    series = torch.randn(400, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    C.largest_lyapunov(m, series, n_steps=100, n_transient=10)
    assert all(v.dtype == torch.float64 and torch.equal(v, before[k]) for k, v in m.state_dict().items())
