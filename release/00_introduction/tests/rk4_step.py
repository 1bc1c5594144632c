"""Public checks for rk4_step: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "rk4_step (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def constant_field(rk4_step, np):
    out = np.asarray(rk4_step(lambda x: np.ones_like(x), np.zeros(3), 0.5))
    assert np.allclose(out, 0.5), "for f(x) = 1 one step of size 0.5 from 0 must reach 0.5"


@test_case(points=0, hidden=False)
def exponential_growth(rk4_step, np):
    out = float(np.asarray(rk4_step(lambda x: x, np.array([1.0]), 0.1))[0])
    assert abs(out - np.exp(0.1)) < 1e-6, "for f(x) = x, one RK4 step of 0.1 from 1 should be close to e^0.1"
