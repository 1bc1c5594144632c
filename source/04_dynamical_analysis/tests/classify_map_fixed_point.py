"""Public checks for classify_map_fixed_point: hand-computable cases only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "classify_map_fixed_point (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def diagonal_cases(classify_map_fixed_point, torch):
    d = lambda *v: torch.diag(torch.tensor(v, dtype=torch.float64))
    assert classify_map_fixed_point(d(0.5, 0.2)) == "stable", "multipliers 0.5, 0.2: stable"
    assert classify_map_fixed_point(d(2.0, 1.5)) == "unstable", "multipliers 2, 1.5: unstable"
    assert classify_map_fixed_point(d(2.0, 0.5)) == "saddle", "multipliers 2, 0.5: saddle"
    assert classify_map_fixed_point(d(1.0, 0.5)) == "non-hyperbolic", \
        "multipliers 1, 0.5: non-hyperbolic"


@test_case(points=0, hidden=False)
def rotation(classify_map_fixed_point, torch):
    J = torch.tensor([[0.5, -0.5], [0.5, 0.5]], dtype=torch.float64)
    assert classify_map_fixed_point(J) == "stable", "multipliers 0.5 ± 0.5i (modulus 0.71): a stable focus"


@test_case(points=0, hidden=False)
def negative_multiplier(classify_map_fixed_point, torch):
    d = lambda *v: torch.diag(torch.tensor(v, dtype=torch.float64))
    assert classify_map_fixed_point(d(-2.0, 0.5)) == "saddle", \
        "multipliers -2, 0.5: |-2| > 1, so a saddle (a map's stability is about the modulus)"
