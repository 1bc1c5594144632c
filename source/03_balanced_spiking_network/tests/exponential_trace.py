"""Public checks for exponential_trace: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "exponential_trace (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def single_spike(exponential_trace, torch, math):
    s = torch.zeros(5, 2, dtype=torch.float64)
    s[0, 0] = 1.0
    s[2, 1] = 1.0
    x = exponential_trace(s, 0.01, 1e-3)
    assert x.shape == s.shape and x.dtype == s.dtype, "same shape and dtype as spikes"
    d = math.exp(-0.1)
    assert torch.allclose(x[:, 0], torch.tensor([1, d, d**2, d**3, d**4], dtype=torch.float64)), \
        "a spike at t = 0 gives 1, exp(-dt/tau_s), exp(-2 dt/tau_s), ..."
    assert torch.allclose(x[:, 1], torch.tensor([0, 0, 1, d, d**2], dtype=torch.float64)), \
        "the trace jumps by 1 at the spike's own step"
