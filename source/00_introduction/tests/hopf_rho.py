"""Public checks for hopf_rho: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "hopf_rho (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def classic_value(hopf_rho, np):
    assert abs(float(hopf_rho()) - 24.7368) < 1e-3, "for the default parameters rho_H is about 24.7368"
