"""Public checks for lorenz_jacobian: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "lorenz_jacobian (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def at_origin(lorenz_jacobian, np):
    J = np.asarray(lorenz_jacobian(np.zeros(3)))
    assert J.shape == (3, 3), f"expected shape (3, 3), got {J.shape}"
    assert np.isclose(J[0, 0], -10.0) and np.isclose(J[2, 2], -8 / 3), "check the diagonal at the origin"
