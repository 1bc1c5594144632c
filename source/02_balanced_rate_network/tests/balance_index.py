"""Public checks for balance_index: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "balance_index (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_computed(balance_index, torch):
    exc = torch.tensor([2.0, 4.0])
    inh = torch.tensor([-1.0, -5.0])
    got = float(balance_index(exc, inh))
    assert abs(got - 0.375) < 1e-6, f"mean(|1| / 2, |-1| / 4) = 0.375, got {got}"
    assert float(balance_index(exc, -exc)) == 0.0, "perfect cancellation gives 0"
