"""Known values of lib.analysis and lib.synthesis (fast, fixed seeds)."""

import math

import numpy as np
import pytest
import torch

from lib.analysis import (classify_fixed_point, classify_map_fixed_point, find_fixed_points, jacobian,
                          kaplan_yorke_dimension, lorenz_rk4_map, lorenz_torch,
                          lyapunov_spectrum, power_spectrum_distance, state_space_divergence)
from lib.dynamics import lorenz_fixed_points, lorenz_jacobian
from lib.synthesis import COLUMNS, comparison_table

torch.set_num_threads(1)


def test_jacobian_of_lorenz_matches_analytic():
    x = torch.tensor([1.5, -2.0, 24.0], dtype=torch.float64)
    assert np.allclose(jacobian(lorenz_torch, x).numpy(), lorenz_jacobian(x.numpy()))


def test_lorenz_fixed_points_recovered_from_random_starts():
    g = torch.Generator().manual_seed(1)
    starts = (torch.rand(100, 3, generator=g, dtype=torch.float64) * 2 - 1) \
        * torch.tensor([20.0, 25.0, 25.0], dtype=torch.float64) \
        + torch.tensor([0.0, 0.0, 25.0], dtype=torch.float64)
    fps = find_fixed_points(lorenz_torch, starts, q_tol=1e-10).numpy()
    want = lorenz_fixed_points()
    assert fps.shape == (3, 3)
    assert np.abs(fps[:, None] - want[None]).max(axis=-1).min(axis=1).max() < 1e-4


def test_lorenz_classification_and_eigenvalues():
    for p, expected in zip(lorenz_fixed_points(), ["saddle"] * 3):
        J = torch.tensor(lorenz_jacobian(p))
        assert classify_fixed_point(J) == expected
    ev = np.sort_complex(np.linalg.eigvals(lorenz_jacobian(lorenz_fixed_points()[1])))
    assert np.allclose(ev, [-13.8546, 0.0940 - 10.1945j, 0.0940 + 10.1945j], atol=1e-3)


def test_classification_uses_real_parts_with_inclusive_tol():
    d = lambda *v: torch.diag(torch.tensor(v, dtype=torch.float64))
    assert classify_fixed_point(d(-2.0, -3.0)) == "stable"       # |lambda| > 1, still stable
    assert classify_fixed_point(d(0.3, 0.5)) == "unstable"       # |lambda| < 1, still unstable
    assert classify_fixed_point(d(-2.0, 0.25), tol=0.25) == "non-hyperbolic"


def test_map_classification_uses_moduli_with_inclusive_tol():
    d = lambda *v: torch.diag(torch.tensor(v, dtype=torch.float64))
    assert classify_map_fixed_point(d(-0.5, 0.9)) == "stable"       # negative, inside the circle
    assert classify_map_fixed_point(d(-1.5, -1.2)) == "unstable"    # real parts < 1, still unstable
    assert classify_map_fixed_point(d(-1.0, 0.5)) == "non-hyperbolic"
    assert classify_map_fixed_point(d(1.25, 0.5), tol=0.25) == "non-hyperbolic"


def test_lorenz_rk4_map_at_task_dt_keeps_saddle_foci_just_outside_the_circle():
    """The task's RK4 map (dt = 0.02): C+- multipliers |exp(dt(0.094 +- 10.19i))| = 1.0019,
    while an Euler step of a field whose eigenvalues have real part -0.9 would also give
    |1 + dt*lambda| > 1 (the 04 notebook's point: read the map, not the flow)."""
    step, jac = lorenz_rk4_map(0.02)
    for p, want in zip(lorenz_fixed_points(), [1.2669, 1.0019, 1.0019]):
        J = jac(torch.tensor(p, dtype=torch.float64))
        assert classify_map_fixed_point(J) == "saddle"
        assert abs(float(torch.linalg.eigvals(J).abs().max()) - want) < 1e-3
    lam = torch.tensor([[-0.92, -10.13], [10.13, -0.92]], dtype=torch.float64)
    assert classify_fixed_point(lam) == "stable"
    assert classify_map_fixed_point(torch.eye(2, dtype=torch.float64) + 0.02 * lam) == "unstable"


def test_lyapunov_of_triangular_linear_map_is_exact():
    A = torch.tensor([[0.5, 0.7, -0.3], [0.0, 2.0, 0.4], [0.0, 0.0, -1.25]], dtype=torch.float64)
    lam = lyapunov_spectrum(lambda x: A @ x, torch.ones(3, dtype=torch.float64), 30, 0.1)
    assert np.allclose(lam.numpy(), np.log([2.0, 1.25, 0.5]) / 0.1)


def test_lyapunov_of_henon_sums_to_log_b():
    b = 0.3
    step = lambda x: torch.stack([1 - 1.4 * x[0] ** 2 + x[1], b * x[0]])
    lam = lyapunov_spectrum(step, torch.tensor([0.1, 0.1], dtype=torch.float64), 3000, 1.0,
                            n_transient=100)
    assert abs(float(lam.sum()) - math.log(b)) < 1e-9
    assert abs(float(lam[0]) - 0.419) < 0.01


def test_lorenz_exponents_short_run():
    step, jac = lorenz_rk4_map(0.01)
    lam = lyapunov_spectrum(step, torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64), 5000,
                            0.01, n_transient=1000, jacobian=jac).numpy()
    assert abs(lam.sum() + (10 + 1 + 8 / 3)) < 1e-3
    assert abs(lam[0] - 0.9056) < 0.1 and abs(lam[1]) < 0.05 and abs(lam[2] + 14.57) < 0.2
    assert abs(kaplan_yorke_dimension(lam) - 2.06) < 0.02


def test_rk4_jacobian_matches_autograd():
    _, jac = lorenz_rk4_map(0.01)
    x = torch.tensor([3.0, -2.0, 20.0], dtype=torch.float64)
    dt = 0.01

    def rk4(v):
        k1 = lorenz_torch(v); k2 = lorenz_torch(v + dt / 2 * k1)
        k3 = lorenz_torch(v + dt / 2 * k2); k4 = lorenz_torch(v + dt * k3)
        return v + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    assert torch.allclose(jac(x), jacobian(rk4, x), atol=1e-12)


def test_state_space_divergence_known_values():
    x = np.random.default_rng(0).normal(size=(2000, 3))
    assert state_space_divergence(x, x, 8) == pytest.approx(0.0, abs=1e-7)  # only the 1e-10 floor
    # nothing inside: p_gen uniform over n_bins**d bins
    kl = state_space_divergence(x, x + 100.0, 4)
    c, _ = np.histogramdd(x, bins=4)
    p = c[c > 0] / c.sum()
    assert kl == pytest.approx(float(np.sum(p * np.log(p * 64))), rel=1e-9)
    # 1-D two bins: 1/2, 1/2 against 3/4, 1/4
    d = state_space_divergence([[0.0], [0.0], [1.0], [1.0]], [[0.0], [0.0], [0.0], [1.0]], 2)
    assert d == pytest.approx(0.5 * math.log(2 / 3) + 0.5 * math.log(2), rel=1e-8)


def test_power_spectrum_distance_known_values():
    t = np.arange(1024)[:, None]
    x = np.sin(0.3 * t) + 2
    assert power_spectrum_distance(x, 3 * x - 1) == pytest.approx(0.0, abs=1e-7)
    assert power_spectrum_distance(np.sin(0.1 * t), np.sin(2.0 * t)) > 0.95
    with pytest.raises(ValueError):
        power_spectrum_distance(np.zeros((10, 3)), np.zeros((10, 2)))


def test_comparison_table_layout():
    t = comparison_table({"b": {"n_params": 3, "x": 1}, "a": {}})
    assert list(t.columns) == list(COLUMNS) and list(t.index) == ["b", "a"]
    assert t.index.name == "architecture" and all(str(d) == "float64" for d in t.dtypes)
    assert t.loc["b", "n_params"] == 3.0 and np.isnan(t.loc["a", "n_params"])
