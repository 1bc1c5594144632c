"""Public checks for euler_step: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "euler_step (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes_and_values(euler_step, torch):
    N, D = 3, 2
    h = torch.ones(2, N)
    x = torch.zeros(2, D)
    zero_W, W_in, b = torch.zeros(N, N), torch.zeros(N, D), torch.zeros(N)
    out = euler_step(h, x, zero_W, W_in, b, 0.5, 0.1)
    assert tuple(out.shape) == (2, N) and out.dtype == torch.float32, "shape and dtype of h"
    # without input, recurrence and bias: h' = h - dt/tau * h = 0.8 h
    assert torch.allclose(out, torch.full_like(out, 0.8)), "one Euler step of dh/dt = -h/tau"
