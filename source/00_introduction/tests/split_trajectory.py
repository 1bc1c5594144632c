"""Public checks for split_trajectory: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "split_trajectory (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def sizes(split_trajectory, np):
    parts = split_trajectory(np.arange(100.0))
    assert [len(p) for p in parts] == [70, 15, 15], "100 samples split into 70, 15, 15"
    assert np.allclose(np.concatenate(parts), np.arange(100.0)), "the parts must be contiguous, in time order"
