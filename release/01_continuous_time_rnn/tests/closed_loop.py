"""Public checks for closed_loop: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "closed_loop (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes(CTRNN, closed_loop, torch):
    m = CTRNN(3, 8, 3, tau=0.3, dt=0.05)
    out = closed_loop(m, torch.randn(4, 3), torch.zeros(4, 8), 6)
    assert tuple(out.shape) == (6, 4, 3), "(n_steps, B, n_out)"
    assert out.requires_grad, "closed_loop must stay differentiable"
