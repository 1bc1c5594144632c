"""Public checks for balance_index: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "balance_index (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_computed(balance_index, torch):
    exc = torch.tensor([[2.0, 4.0], [2.0, 4.0]])      # (T, N) = (2 steps, 2 units)
    inh = torch.tensor([[-1.0, -5.0], [-1.0, -1.0]])
    got = float(balance_index(exc, inh))
    assert abs(got - 0.375) < 1e-6, (
        f"unit 0: |mean(1, 1)| / mean(2, 2) = 0.5, unit 1: |mean(-1, 3)| / mean(4, 4) = 0.25; "
        f"their mean is 0.375, got {got}")
    assert float(balance_index(exc, -exc)) == 0.0, "perfect cancellation gives 0"
