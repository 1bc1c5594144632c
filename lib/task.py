"""The course's shared task: standardised Lorenz-63 trajectories (used by 01-05).

``lorenz_task()`` returns the arrays every notebook trains and tests on; the build
writes them to ``data/lorenz_task.npz`` for the assignments that need them.
"""

import numpy as np

from .dynamics import fit_standardizer, lorenz_rhs, simulate, split_trajectory

DT = 0.02            # time units per sample (0.0181 Lyapunov times)
TRANSIENT = 10.0     # time units discarded before sampling
LAMBDA_1 = 0.9056    # largest Lyapunov exponent of Lorenz-63
N_SAMPLES = 10_000   # samples kept after the transient (200 time units)
X0 = (1.0, 1.0, 1.0)


def lorenz_task(x0=X0, n_samples=N_SAMPLES, dt=DT, transient=TRANSIENT):
    """Return a dict: ``traj`` (n_samples, 3), ``train``, ``val``, ``test``,
    ``train_mean``, ``train_std`` and ``dt``.  Float64."""
    n_transient = int(round(transient / dt))
    full = simulate(lorenz_rhs, np.asarray(x0, dtype=float), dt, n_transient + n_samples - 1)
    traj = full[n_transient:]
    train, val, test = split_trajectory(traj)
    mean, std = fit_standardizer(train)
    return {"traj": traj, "train": train, "val": val, "test": test,
            "train_mean": mean, "train_std": std, "dt": np.float64(dt)}
