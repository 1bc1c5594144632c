"""The hidden checks' own inputs do what they are built for (checked here, in CI, rather
than by asserts in the grading path, where a failure would cost a student the question).

Each input is chosen to separate a correct answer from a plausible mistake; if the
reference stopped behaving as the input assumes, the check would silently test less.
"""

import pytest
import torch

import lib
from grading import fixtures
from hidden import a03_balanced_spiking_network as a03
from hidden import a04_dynamical_analysis as a04


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_lif_threshold_case_lands_exactly_on_the_threshold(dtype):
    case = a03.THRESHOLD_CASE
    v = torch.tensor(case["v"], dtype=dtype)
    i_in = torch.tensor(case["i_in"], dtype=dtype)
    z, _ = lib.lif_step(v, i_in, **case["params"])
    assert z.tolist() == case["spikes"]


@pytest.mark.parametrize("case", a03.NETWORK_CASES, ids=[str(c[0]) for c in a03.NETWORK_CASES])
def test_lif_network_cases_fire_at_a_moderate_rate(case):
    seed, dtype, params, with_v0 = case
    i_ext, W, v0 = a03._network_case(seed, dtype)
    args = (i_ext, W, *params, v0) if with_v0 else (i_ext, W)
    assert 0.02 < float(lib.run_lif_network(*args).mean()) < 0.5


def test_henon_transient_changes_the_spectrum():
    a, b = a04.HENON
    h = fixtures.build("henon_map", {"a": a, "b": b})
    j = fixtures.build("henon_jacobian", {"a": a, "b": b})
    x0 = torch.tensor(a04.HENON_X0, dtype=torch.float64)
    with_transient = lib.lyapunov_spectrum(h, x0, 300, 0.5, n_transient=37, jacobian=j)
    without = lib.lyapunov_spectrum(h, x0, 300, 0.5, jacobian=j)
    assert float((with_transient - without).abs().max()) > 1e-4
