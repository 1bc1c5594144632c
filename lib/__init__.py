"""Reference implementation of every graded exercise of the course.

One module per topic; this package is the single truth that the source notebooks'
solutions and the hidden checks agree with.  It is never handed to students.

Names are re-exported lazily (``lib.lorenz_rhs`` imports ``lib.dynamics`` on first
use), so grading 00 does not pay for importing torch.
"""

import importlib

_EXPORTS = {
    "dynamics": ["lorenz_rhs", "rk4_step", "simulate", "lorenz_fixed_points", "lorenz_jacobian",
                 "hopf_rho", "next_step_pairs", "split_trajectory", "fit_standardizer"],
    "task": ["lorenz_task"],
    "ctrnn": ["ctrnn_rhs", "euler_step", "CTRNN", "ctrnn_ode_step", "closed_loop",
              "prediction_error", "valid_prediction_time"],
    "ei": ["dale_signs", "apply_dale", "balanced_weights", "ei_rate_rhs", "input_currents",
           "balance_index", "EIRNN", "ei_closed_loop"],
    "spiking": ["lif_step", "sparse_ei_weights", "run_lif_network", "exponential_trace",
                "ridge_regression", "firing_rates", "cv_isi"],
    "analysis": ["jacobian", "find_fixed_points", "classify_fixed_point", "classify_map_fixed_point",
                 "lyapunov_spectrum",
                 "state_space_divergence", "power_spectrum_distance"],
    "synthesis": ["comparison_table"],
    "neural_ode": ["trajectory_loss"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    if name in _EXPORTS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lib' has no attribute {name!r}")


def __dir__():
    return __all__ + list(_EXPORTS)
