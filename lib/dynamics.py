"""Lorenz-63, the classic RK4 integrator and the next-state prediction task (00).

NumPy, float64.  Time is in the model's time units.
"""

import numpy as np

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def lorenz_components(x, y, z, sigma=SIGMA, rho=RHO, beta=BETA):
    """(dx/dt, dy/dt, dz/dt) of Lorenz-63 from the coordinates (numbers, NumPy arrays or
    torch tensors alike): the one place the field is written."""
    return sigma * (y - x), x * (rho - z) - y, x * y - beta * z


def lorenz_rhs(state, sigma=SIGMA, rho=RHO, beta=BETA):
    """Lorenz-63 vector field. ``state`` (..., 3) -> d state/dt (..., 3).

    dx/dt = sigma (y - x),  dy/dt = x (rho - z) - y,  dz/dt = x y - beta z.
    """
    state = np.asarray(state, dtype=float)
    return np.stack(lorenz_components(state[..., 0], state[..., 1], state[..., 2],
                                      sigma, rho, beta), axis=-1)


def rk4_step(f, x, dt):
    """One classic Runge-Kutta 4 step of dx/dt = f(x) with step ``dt``; same shape as ``x``."""
    k1 = f(x)
    k2 = f(x + dt / 2 * k1)
    k3 = f(x + dt / 2 * k2)
    k4 = f(x + dt * k3)
    return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def simulate(f, x0, dt, n_steps):
    """RK4 trajectory: (n_steps+1, *x0.shape), row 0 is ``x0``."""
    x = np.asarray(x0, dtype=float)
    traj = np.empty((n_steps + 1,) + x.shape)
    traj[0] = x
    for k in range(n_steps):
        x = rk4_step(f, x, dt)
        traj[k + 1] = x
    return traj


def lorenz_fixed_points(sigma=SIGMA, rho=RHO, beta=BETA):
    """(1, 3) origin only for rho <= 1; else (3, 3): origin, C+ (x > 0), C-."""
    origin = np.zeros((1, 3))
    if rho <= 1:
        return origin
    c = np.sqrt(beta * (rho - 1))
    return np.array([[0.0, 0.0, 0.0], [c, c, rho - 1], [-c, -c, rho - 1]])


def lorenz_jacobian(state, sigma=SIGMA, rho=RHO, beta=BETA):
    """Jacobian (3, 3) of :func:`lorenz_rhs` at ``state`` (3,)."""
    x, y, z = np.asarray(state, dtype=float)
    return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [y, x, -beta]])


def hopf_rho(sigma=SIGMA, beta=BETA):
    """rho of the subcritical Hopf bifurcation where C+ and C- lose stability."""
    return sigma * (sigma + beta + 3) / (sigma - beta - 1)


def next_step_pairs(traj, horizon=1):
    """Inputs and targets ``horizon`` steps ahead: (traj[:-horizon], traj[horizon:])."""
    return traj[:-horizon], traj[horizon:]


def split_trajectory(traj, fractions=(0.7, 0.15)):
    """Contiguous (train, val, test) split in time order."""
    T = len(traj)
    n_train = int(fractions[0] * T)
    n_val = int(fractions[1] * T)
    return traj[:n_train], traj[n_train:n_train + n_val], traj[n_train + n_val:]


def fit_standardizer(train):
    """Per-dimension (mean, std) over axis 0, std with ddof=0."""
    return train.mean(axis=0), train.std(axis=0)
