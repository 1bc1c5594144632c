"""Public checks for classify_fixed_point: hand-computable cases only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "classify_fixed_point (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def diagonal_cases(classify_fixed_point, torch):
    d = lambda *v: torch.diag(torch.tensor(v, dtype=torch.float64))
    assert classify_fixed_point(d(-1.0, -2.0)) == "stable", "eigenvalues -1, -2: stable"
    assert classify_fixed_point(d(1.0, 2.0)) == "unstable", "eigenvalues 1, 2: unstable"
    assert classify_fixed_point(d(1.0, -2.0)) == "saddle", "eigenvalues 1, -2: saddle"
    assert classify_fixed_point(d(0.0, -2.0)) == "non-hyperbolic", "eigenvalues 0, -2: non-hyperbolic"


@test_case(points=0, hidden=False)
def rotation(classify_fixed_point, torch):
    J = torch.tensor([[-0.5, -3.0], [3.0, -0.5]], dtype=torch.float64)
    assert classify_fixed_point(J) == "stable", "eigenvalues -0.5 ± 3i: a stable focus"
