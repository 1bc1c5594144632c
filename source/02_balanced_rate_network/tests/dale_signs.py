"""Public checks for dale_signs: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "dale_signs (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def values_and_type(dale_signs, torch):
    s = dale_signs(3, 2)
    assert isinstance(s, torch.Tensor), f"expected a torch tensor, got {type(s).__name__}"
    assert s.shape == (5,), f"dale_signs(3, 2) should have shape (5,), got {tuple(s.shape)}"
    assert s.dtype == torch.get_default_dtype(), f"expected the default dtype, got {s.dtype}"
    assert s.tolist() == [1.0, 1.0, 1.0, -1.0, -1.0], "excitatory neurons come first: +1, then -1"
