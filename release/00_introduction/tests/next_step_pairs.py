"""Public checks for next_step_pairs: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "next_step_pairs (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def pairs(next_step_pairs, np):
    x, y = next_step_pairs(np.arange(5.0))
    assert np.allclose(x, [0, 1, 2, 3]) and np.allclose(y, [1, 2, 3, 4]), "targets are one step after inputs"
