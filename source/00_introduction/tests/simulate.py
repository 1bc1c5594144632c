"""Public checks for simulate: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "simulate (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shape_and_first_row(simulate, np):
    x0 = np.array([1.0, 2.0, 3.0])
    out = np.asarray(simulate(lambda x: -x, x0, 0.1, 5))
    assert out.shape == (6, 3), f"5 steps from a state of shape (3,) should give (6, 3), got {out.shape}"
    assert np.allclose(out[0], x0), "row 0 must be x0"
    assert np.allclose(out[-1], x0 * np.exp(-0.5), atol=1e-5), "dx/dt = -x should decay like exp(-t)"
