"""Public checks for cv_isi: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "cv_isi (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def regular_and_empty(cv_isi, torch, np):
    spikes = torch.zeros(100, 2)
    spikes[::10, 0] = 1.0       # perfectly regular
    cv = float(cv_isi(spikes, 1e-3))
    assert abs(cv) < 1e-9, f"a regular train has CV 0 (the silent neuron does not count), got {cv}"
    spikes = torch.zeros(50, 2)
    spikes[[5, 20], 0] = 1.0    # only two spikes
    assert np.isnan(float(cv_isi(spikes, 1e-3))), "no neuron with at least 3 spikes: nan"
