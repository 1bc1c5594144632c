"""Reference implementation of every graded exercise of the course.

One module per topic; this package is the single truth that the source notebooks'
solutions and the hidden checks agree with.  It is never handed to students.
"""

from .dynamics import (fit_standardizer, hopf_rho, lorenz_fixed_points, lorenz_jacobian,
                       lorenz_rhs, next_step_pairs, rk4_step, simulate, split_trajectory)
from .task import lorenz_task

__all__ = [
    "lorenz_rhs", "rk4_step", "simulate", "lorenz_fixed_points", "lorenz_jacobian",
    "hopf_rho", "next_step_pairs", "split_trajectory", "fit_standardizer", "lorenz_task",
]
