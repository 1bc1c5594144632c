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
