"""Public checks for ctrnn_model: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ctrnn_model (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def is_a_trained_ctrnn(ctrnn_model, torch):
    names = dict(ctrnn_model.named_parameters())
    for k in ("W_rec", "W_in", "b", "readout.weight", "readout.bias"):
        assert k in names, f"ctrnn_model has no parameter {k}"
    assert tuple(names["W_in"].shape)[1] == 3 and tuple(names["readout.weight"].shape)[0] == 3, \
        "n_in = n_out = 3"
    assert ctrnn_model.tau > 0 and ctrnn_model.dt > 0
