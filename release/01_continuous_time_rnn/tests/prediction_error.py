"""Public checks for prediction_error: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "prediction_error (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_values(prediction_error, torch):
    pred = torch.tensor([[[1.0, 2.0]], [[0.0, 0.0]]], dtype=torch.float64)
    true = torch.zeros(2, 1, 2, dtype=torch.float64)
    std = torch.tensor([1.0, 2.0], dtype=torch.float64)
    err = prediction_error(pred, true, std)
    assert tuple(err.shape) == (2, 1), "the leading shape of pred"
    assert torch.allclose(err, torch.tensor([[1.0], [0.0]], dtype=torch.float64)), \
        "sqrt(mean(((1 - 0) / 1) ** 2, ((2 - 0) / 2) ** 2)) = 1"
