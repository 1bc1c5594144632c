"""Public checks for sparse_ei_weights: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "sparse_ei_weights (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def structure(sparse_ei_weights, torch):
    W = sparse_ei_weights(8, 2, 1.0, 0.5, 4.0, torch.Generator().manual_seed(0))
    assert W.shape == (10, 10), f"expected shape (10, 10), got {tuple(W.shape)}"
    assert W.dtype == torch.get_default_dtype(), "use the default dtype"
    assert torch.all(torch.diag(W) == 0), "no autapses: zero diagonal"
    off = ~torch.eye(10, dtype=torch.bool)
    assert torch.allclose(W[:, :8][off[:, :8]], torch.tensor(0.5)), "with p = 1, E columns hold w_exc"
    assert torch.allclose(W[:, 8:][off[:, 8:]], torch.tensor(-2.0)), "with p = 1, I columns hold -g*w_exc"
    W0 = sparse_ei_weights(8, 2, 0.0, 0.5, 4.0, torch.Generator().manual_seed(0))
    assert torch.all(W0 == 0), "with p = 0 there are no connections"
