"""Public checks for lorenz_fixed_points: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "lorenz_fixed_points (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes(lorenz_fixed_points, np):
    assert np.asarray(lorenz_fixed_points()).shape == (3, 3), "three fixed points at rho = 28"
    assert np.asarray(lorenz_fixed_points(rho=0.5)).shape == (1, 3), "only the origin for rho < 1"
    assert np.allclose(np.asarray(lorenz_fixed_points())[0], 0), "the origin comes first"
