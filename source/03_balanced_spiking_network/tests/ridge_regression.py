"""Public checks for ridge_regression: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ridge_regression (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def exact_linear_data(ridge_regression, torch):
    X = torch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 3.0], [4.0, 1.0], [3.0, 3.0]], dtype=torch.float64)
    Y = X @ torch.tensor([[1.0], [-2.0]], dtype=torch.float64) + 5.0
    W, b = ridge_regression(X, Y, 0.0)
    assert W.shape == (2, 1) and b.shape == (1,), "W is (D_x, D_y), b is (D_y,)"
    assert W.dtype == torch.float64, "keep the dtype of X and Y"
    assert torch.allclose(W, torch.tensor([[1.0], [-2.0]], dtype=torch.float64)), "alpha = 0: least squares"
    assert torch.allclose(b, torch.tensor([5.0], dtype=torch.float64)), "alpha = 0: least squares bias"
    Wh, bh = ridge_regression(X, torch.full((5, 1), 7.0, dtype=torch.float64), 1e6)
    assert torch.allclose(bh, torch.tensor([7.0], dtype=torch.float64)), \
        "a constant target is fitted by the (unpenalised) bias, whatever alpha"
