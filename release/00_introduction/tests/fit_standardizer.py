"""Public checks for fit_standardizer: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "fit_standardizer (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def simple_data(fit_standardizer, np):
    mean, std = fit_standardizer(np.array([[0.0, 1.0], [2.0, 1.0]]))
    assert np.allclose(mean, [1.0, 1.0]), "per-dimension mean over axis 0"
    assert np.allclose(std, [1.0, 0.0]), "per-dimension std over axis 0 (ddof=0)"
