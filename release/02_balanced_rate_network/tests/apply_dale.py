"""Public checks for apply_dale: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "apply_dale (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def column_signs(apply_dale, torch):
    W_raw = torch.tensor([[1.0, -2.0], [-3.0, 4.0]])
    signs = torch.tensor([1.0, -1.0])
    W = apply_dale(W_raw, signs)
    assert W.shape == (2, 2), f"expected shape (2, 2), got {tuple(W.shape)}"
    assert torch.allclose(W, torch.tensor([[1.0, -2.0], [3.0, -4.0]])), \
        "column 0 (excitatory) must be non-negative and column 1 (inhibitory) non-positive"
    assert torch.equal(W_raw, torch.tensor([[1.0, -2.0], [-3.0, 4.0]])), "W_raw was modified in place"
    W64 = apply_dale(W_raw.double(), signs.double())
    assert W64.dtype == torch.float64, "the dtype of W_raw must be kept"
