"""Public checks for CTRNN: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "CTRNN (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def parameters_and_shapes(CTRNN, torch):
    m = CTRNN(3, 8, 2, tau=0.3, dt=0.05)
    names = dict(m.named_parameters())
    for k, shape in (("W_rec", (8, 8)), ("W_in", (8, 3)), ("b", (8,)),
                     ("readout.weight", (2, 8)), ("readout.bias", (2,))):
        assert k in names, f"parameter {k} missing"
        assert tuple(names[k].shape) == shape, f"{k} must have shape {shape}"
    assert m.tau == 0.3 and m.dt == 0.05, "store tau and dt as attributes"
    y, h = m(torch.randn(7, 4, 3))
    assert tuple(y.shape) == (7, 4, 2) and tuple(h.shape) == (7, 4, 8), "(T, B, n_out), (T, B, N)"
