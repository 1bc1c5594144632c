"""Public checks for ei_rate_rhs: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ei_rate_rhs (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def hand_computed(ei_rate_rhs, torch):
    one = torch.ones(1, 1)
    # r_E = 1, r_I = 0.5, all weights 1, I_ext = 2: E input 1 - 0.5 + 2 = 2.5, I input 0.5
    dE, dI = ei_rate_rhs(torch.tensor([1.0]), torch.tensor([0.5]), one, one, one, one,
                         torch.tensor([2.0]), 0.5, 0.25)
    assert dE.shape == (1,) and dI.shape == (1,), "dr_E and dr_I keep the shapes of r_E and r_I"
    assert torch.allclose(dE, torch.tensor([3.0])), f"dr_E should be (-1 + 2.5)/0.5 = 3, got {dE}"
    assert torch.allclose(dI, torch.tensor([0.0])), f"dr_I should be (-0.5 + 0.5)/0.25 = 0, got {dI}"
