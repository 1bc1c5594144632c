"""Public checks for ctrnn_ode_step: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "ctrnn_ode_step (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def leak_only(CTRNN, ctrnn_ode_step, torch):
    m = CTRNN(2, 4, 2, tau=0.5, dt=0.1).double()
    with torch.no_grad():
        m.W_rec.zero_(); m.W_in.zero_(); m.b.zero_()
    h = torch.ones(3, 4, dtype=torch.float64)
    out = ctrnn_ode_step(m, h, torch.zeros(3, 2, dtype=torch.float64), 0.2, method="dopri5")
    assert tuple(out.shape) == (3, 4) and out.dtype == torch.float64, "shape and dtype of h"
    # pure leak: h(t) = h(0) exp(-t / tau)
    assert torch.allclose(out, h * torch.exp(torch.tensor(-0.4, dtype=torch.float64)), atol=1e-6), \
        "without input, recurrence and bias the solution decays as exp(-dt / tau)"
