"""Public checks for reservoir: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "reservoir (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def defined(reservoir_predict, reservoir_washout, torch):
    assert isinstance(reservoir_washout, int) and 0 <= reservoir_washout <= 500, \
        "reservoir_washout: an int between 0 and 500"
    u = torch.zeros(50, 3)
    p = reservoir_predict(u)
    assert tuple(p.shape) == (50, 3), "reservoir_predict returns one prediction per sample, (T, 3)"
