"""Public checks for lorenz_rhs: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "lorenz_rhs (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def known_values(lorenz_rhs, np):
    out = np.asarray(lorenz_rhs(np.array([1.0, 1.0, 1.0])))
    assert out.shape == (3,), f"one state of shape (3,) should give shape (3,), got {out.shape}"
    assert np.allclose(out, [0.0, 26.0, 1.0 - 8 / 3]), "at (1, 1, 1) the derivative should be (0, 26, 1 - 8/3)"


@test_case(points=0, hidden=False)
def batches(lorenz_rhs, np):
    out = np.asarray(lorenz_rhs(np.ones((4, 2, 3))))
    assert out.shape == (4, 2, 3), f"a batch of shape (4, 2, 3) should keep its shape, got {out.shape}"
