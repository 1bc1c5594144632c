"""Public checks for state_space_divergence: hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "state_space_divergence (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def identical_is_zero(state_space_divergence, np):
    x = np.random.default_rng(0).normal(size=(500, 3))
    d = float(state_space_divergence(x, x.copy(), n_bins=5))
    assert abs(d) < 1e-6, f"the divergence of a distribution from itself is 0, got {d}"


@test_case(points=0, hidden=False)
def two_bins(state_space_divergence, np):
    x_true = np.array([[0.0], [0.0], [1.0], [1.0]])      # half in each of 2 bins
    x_gen = np.array([[0.0], [0.0], [0.0], [1.0]])       # 3/4 and 1/4
    d = float(state_space_divergence(x_true, x_gen, n_bins=2))
    want = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    assert abs(d - want) < 1e-6, f"1-D example with 2 bins: expected {want:.6f}, got {d:.6f}"
