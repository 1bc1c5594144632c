"""Public checks for jacobian: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "jacobian (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def linear_map(jacobian, torch):
    A = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    J = jacobian(lambda h: A @ h, torch.tensor([0.5, -1.0], dtype=torch.float64))
    assert tuple(J.shape) == (2, 2), f"expected shape (2, 2), got {tuple(J.shape)}"
    assert torch.allclose(J, A), "the Jacobian of h -> A h is A (row i: derivatives of output i)"


@test_case(points=0, hidden=False)
def dtype_kept(jacobian, torch):
    h = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float32)
    J = jacobian(lambda v: v ** 2, h)
    assert J.dtype == torch.float32, f"expected dtype float32 (the dtype of h), got {J.dtype}"
    assert torch.allclose(J, torch.diag(2 * h)), "the Jacobian of h -> h**2 is diag(2 h)"
    assert not h.requires_grad, "h must not be changed (requires_grad was switched on)"
