"""Public checks for ei_closed_loop: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ei_closed_loop (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes(ei_closed_loop, EIRNN, torch):
    m = EIRNN(3, 6, 2, 3)
    out = ei_closed_loop(m, torch.zeros(4, 3), torch.zeros(4, 8), 7)
    assert out.shape == (7, 4, 3), f"expected shape (7, 4, 3), got {tuple(out.shape)}"
    assert out.requires_grad, "the result must be differentiable (used for rollout training)"
