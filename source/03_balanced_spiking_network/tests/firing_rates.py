"""Public checks for firing_rates: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "firing_rates (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def shapes_and_values(firing_rates, torch):
    spikes = torch.zeros(100, 3, dtype=torch.float64)
    spikes[:, 0] = 1.0          # every step
    spikes[::10, 1] = 1.0       # every 10th step
    r = firing_rates(spikes, 1e-3)
    assert r.shape == (3,), f"one rate per neuron: expected shape (3,), got {tuple(r.shape)}"
    assert r.dtype == torch.float64, "keep the dtype of spikes"
    assert torch.allclose(r, torch.tensor([1000.0, 100.0, 0.0], dtype=torch.float64)), \
        "rates in Hz: spikes per second"
