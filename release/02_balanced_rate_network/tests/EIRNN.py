"""Public checks for EIRNN: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "EIRNN (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes_and_dale(EIRNN, torch):
    m = EIRNN(3, 6, 2, 3, tau_E=0.1, tau_I=0.05, dt=0.02)
    names = dict(m.named_parameters())
    for k, shape in (("W_rec_raw", (8, 8)), ("W_in", (8, 3)), ("b", (8,)),
                     ("readout.weight", (3, 6)), ("readout.bias", (3,))):
        assert k in names, f"missing parameter {k}"
        assert tuple(names[k].shape) == shape, f"{k} should have shape {shape}"
    with torch.no_grad():
        m.W_rec_raw.copy_(torch.randn(8, 8))
    W = m.W_rec
    assert torch.all(W[:, :6] >= 0) and torch.all(W[:, 6:] <= 0), "W_rec must obey Dale's law"
    assert torch.all(torch.diagonal(W) == 0), "W_rec must have a zero diagonal"
    y, r = m(torch.randn(5, 4, 3))
    assert y.shape == (5, 4, 3) and r.shape == (5, 4, 8), "forward returns (T, B, n_out), (T, B, N)"
    assert torch.all(r >= 0), "rates start at 0 and stay non-negative (relu, dt <= tau)"


@test_case(points=0, hidden=False)
def two_steps_by_hand(EIRNN, torch):
    # one E and one I unit: the update r_t = r_{t-1} + dt/tau (-r_{t-1} + relu(W_rec r_{t-1}
    # + W_in x_t + b)), with tau_E for the E row and tau_I for the I row, in float64
    m = EIRNN(1, 1, 1, 1, tau_E=0.1, tau_I=0.05, dt=0.02).double()
    with torch.no_grad():
        m.W_rec_raw.copy_(torch.tensor([[0.0, 3.0], [2.0, 0.0]]))
        m.W_in.copy_(torch.tensor([[1.0], [0.5]]))
        m.b.copy_(torch.tensor([0.1, 0.2]))
    x = torch.tensor([[[1.0]], [[2.0]]], dtype=torch.float64)          # (T=2, B=1, n_in=1)
    _, r = m(x)
    assert r.dtype == torch.float64, "a model moved to float64 computes in float64"
    k = torch.tensor([0.02 / 0.1, 0.02 / 0.05], dtype=torch.float64)  # dt / tau per row
    W = torch.tensor([[0.0, -3.0], [2.0, 0.0]], dtype=torch.float64)  # Dale: E column +, I column -
    r1 = k * torch.relu(torch.tensor([1.0 + 0.1, 0.5 + 0.2], dtype=torch.float64))
    r2 = r1 + k * (-r1 + torch.relu(W @ r1 + torch.tensor([2.0, 1.0], dtype=torch.float64)
                                    + torch.tensor([0.1, 0.2], dtype=torch.float64)))
    assert torch.allclose(r[0, 0], r1), f"first step: expected rates {r1.tolist()}, got {r[0, 0].tolist()}"
    assert torch.allclose(r[1, 0], r2), f"second step: expected rates {r2.tolist()}, got {r[1, 0].tolist()}"
