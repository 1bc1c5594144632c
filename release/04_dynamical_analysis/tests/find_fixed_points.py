"""Public checks for find_fixed_points: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "find_fixed_points (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def one_stable_point(find_fixed_points, torch):
    c = torch.tensor([0.5, -0.25], dtype=torch.float64)
    F = lambda h: -(h - c)
    h0 = torch.tensor([[0.4, -0.2], [0.7, -0.1], [0.45, -0.3]], dtype=torch.float64)
    before = h0.clone()
    fps = find_fixed_points(F, h0, q_tol=1e-8, unique_tol=1e-3)
    assert torch.equal(h0, before), "h0 was modified in place"
    assert tuple(fps.shape) == (1, 2), f"F(h) = c - h has one fixed point: expected shape (1, 2), got {tuple(fps.shape)}"
    assert torch.allclose(fps[0], c, atol=1e-3), "the fixed point of F(h) = c - h is c"


@test_case(points=0, hidden=False)
def no_iterations_filters_starts(find_fixed_points, torch):
    F = lambda h: h
    h0 = torch.tensor([[0.0, 0.0], [3.0, 0.0]], dtype=torch.float64)
    fps = find_fixed_points(F, h0, n_iter=0, q_tol=1.0, unique_tol=0.1)
    assert tuple(fps.shape) == (1, 2), "with n_iter=0, F(h) = h and q_tol=1 only the start (0, 0) has q < q_tol"
    none = find_fixed_points(F, h0[1:], n_iter=0, q_tol=1.0, unique_tol=0.1)
    assert tuple(none.shape) == (0, 2), f"no point found: expected shape (0, 2), got {tuple(none.shape)}"
