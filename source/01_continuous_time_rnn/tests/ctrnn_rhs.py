"""Public checks for ctrnn_rhs: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ctrnn_rhs (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes_and_values(ctrnn_rhs, torch):
    N, D = 4, 2
    h = torch.zeros(5, N, dtype=torch.float64)
    x = torch.zeros(5, D, dtype=torch.float64)
    W_rec, W_in = torch.eye(N, dtype=torch.float64), torch.ones(N, D, dtype=torch.float64)
    b = torch.zeros(N, dtype=torch.float64)
    out = ctrnn_rhs(h, x, W_rec, W_in, b, 0.5)
    assert tuple(out.shape) == (5, N), "the result has the shape of h"
    assert out.dtype == torch.float64, "keep the dtype of h"
    assert torch.allclose(out, torch.zeros_like(out)), "h = 0, x = 0, b = 0 is a fixed point"
    b = torch.full((N,), 0.5, dtype=torch.float64)
    out = ctrnn_rhs(h, x, W_rec, W_in, b, 0.5)
    assert torch.allclose(out, torch.full_like(out, 2 * torch.tanh(torch.tensor(0.5)).item())), \
        "with h = 0 the derivative is tanh(b) / tau"
