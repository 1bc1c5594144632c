"""Public checks for ei_model: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ei_model (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def trained_model(ei_model, EIRNN, torch):
    assert isinstance(ei_model, EIRNN), "ei_model should be an instance of your EIRNN"
    W = ei_model.W_rec.detach()
    n = ei_model.n_exc
    assert torch.all(W[:, :n] >= 0) and torch.all(W[:, n:] <= 0), "W_rec must obey Dale's law"
