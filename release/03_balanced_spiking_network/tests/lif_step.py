"""Public checks for lif_step: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "lif_step (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes_and_values(lif_step, torch):
    v = torch.tensor([[0.0, 0.95], [0.5, 0.2]])
    i_in = torch.tensor([[0.0, 2.0], [0.5, 1.0]])
    out = lif_step(v, i_in)
    assert isinstance(out, tuple) and len(out) == 2, "return the pair (z, v_new)"
    z, v_new = out
    assert z.shape == v.shape and v_new.shape == v.shape, "z and v_new have the shape of v"
    assert z.dtype == v.dtype and v_new.dtype == v.dtype, "z and v_new have the dtype of v"
    # v' = v + 0.1 * (0 - v + i): 0 -> 0, 0.95 -> 1.055 (spike, reset to 0), 0.5 -> 0.5, 0.2 -> 0.28
    assert torch.allclose(z, torch.tensor([[0.0, 1.0], [0.0, 0.0]])), "only v' = 1.055 > 1 spikes"
    assert torch.allclose(v_new, torch.tensor([[0.0, 0.0], [0.5, 0.28]]), atol=1e-6), \
        "v' = v + dt/tau_m*(v_rest - v + i_in), reset to v_reset where z = 1"
    assert torch.equal(v, torch.tensor([[0.0, 0.95], [0.5, 0.2]])), "do not modify v in place"
