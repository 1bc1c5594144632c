"""Public checks for balanced_weights: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "balanced_weights (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def structure(balanced_weights, torch):
    W = balanced_weights(8, 4, 2, 1.0, 2.0, torch.Generator().manual_seed(0))
    assert isinstance(W, torch.Tensor) and W.shape == (12, 12), "expected a (12, 12) tensor"
    assert torch.all(torch.diagonal(W) == 0), "no autapses: the diagonal must be zero"
    assert torch.all((W[:, :8] > 0).sum(dim=1) == 2), "each row needs exactly K=2 excitatory partners"
    assert torch.all((W[:, 8:] < 0).sum(dim=1) == 2), "each row needs exactly K=2 inhibitory partners"
    assert torch.allclose(W[W > 0], torch.tensor(1 / 2 ** 0.5)), "excitatory weights are J/sqrt(K)"
    assert torch.allclose(W[W < 0], torch.tensor(-2 / 2 ** 0.5)), "inhibitory weights are -g*J/sqrt(K)"


@test_case(points=0, hidden=False)
def impossible_K(balanced_weights, torch):
    for K in (0, 4):
        try:
            balanced_weights(8, 4, K, 1.0, 2.0, torch.Generator().manual_seed(0))
        except ValueError:
            continue
        raise AssertionError(f"K={K} with n_exc=8, n_inh=4 must raise ValueError")
