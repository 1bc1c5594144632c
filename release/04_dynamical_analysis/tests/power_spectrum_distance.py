"""Public checks for power_spectrum_distance: hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "power_spectrum_distance (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def same_spectrum_is_zero(power_spectrum_distance, np):
    x = np.random.default_rng(1).normal(size=(256, 3))
    d = float(power_spectrum_distance(x, 2.0 * x + 1.0))
    assert abs(d) < 1e-6, f"a scaled and shifted copy has the same normalised spectrum: expected 0, got {d}"


@test_case(points=0, hidden=False)
def range_and_shape_error(power_spectrum_distance, np):
    t = np.arange(512)[:, None]
    d = float(power_spectrum_distance(np.sin(0.2 * t), np.sin(1.5 * t)))
    assert 0.5 < d <= 1.0, f"two sines of very different frequency are far apart (close to 1), got {d}"
    try:
        power_spectrum_distance(np.zeros((10, 3)), np.zeros((9, 3)))
    except ValueError:
        return
    raise AssertionError("inputs of different shapes must raise ValueError")
