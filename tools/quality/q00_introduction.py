"""Quality figures of 00: the numbers the lesson states, from the reference."""

import numpy as np


def measure():
    from lib import dynamics as d
    eig0 = np.sort(np.linalg.eigvals(d.lorenz_jacobian(np.zeros(3))).real)
    eigc = np.linalg.eigvals(d.lorenz_jacobian(d.lorenz_fixed_points()[1]))
    # RK4's global error order on the harmonic oscillator (should be 4).
    osc = lambda s: np.stack([s[..., 1], -s[..., 0]], axis=-1)  # noqa: E731
    errs = []
    for dt in (0.1, 0.05):
        n = int(round(2 * np.pi / dt))
        end = d.simulate(osc, np.array([1.0, 0.0]), dt, n)[-1]
        errs.append(np.linalg.norm(end - [np.cos(n * dt), -np.sin(n * dt)]))
    return {
        "origin_eigenvalues": [round(float(e), 2) for e in eig0],
        "C+_max_real_part": round(float(eigc.real.max()), 3),
        "hopf_rho": round(float(d.hopf_rho()), 4),
        "rk4_order": round(float(np.log2(errs[0] / errs[1])), 2),
    }


if __name__ == "__main__":
    print(measure())
