"""Public checks for input_currents: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "input_currents (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_computed(input_currents, torch):
    W = torch.tensor([[0.0, -2.0], [3.0, 0.0]])
    r = torch.tensor([1.0, 2.0])
    exc, inh = input_currents(W, r, 0.5)
    assert torch.allclose(exc, torch.tensor([0.5, 3.5])), f"exc should be (0.5, 3.5), got {exc}"
    assert torch.allclose(inh, torch.tensor([-4.0, 0.0])), f"inh should be (-4, 0), got {inh}"
