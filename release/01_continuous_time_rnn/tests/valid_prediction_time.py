"""Public checks for valid_prediction_time: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "valid_prediction_time (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_values(valid_prediction_time, torch):
    true = torch.zeros(4, 2)
    pred = torch.tensor([[0.1, 0.1], [0.2, 0.2], [0.9, 0.9], [0.1, 0.1]])
    vpt = valid_prediction_time(pred, true, torch.ones(2), 0.5, lyapunov_exponent=2.0)
    assert abs(float(vpt) - 2.0) < 1e-6, "two leading valid steps * dt 0.5 * exponent 2 = 2"
