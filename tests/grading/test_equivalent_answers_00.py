"""Correct answers written differently get full marks (00_introduction)."""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow
A = "00_introduction"

STYLE_LOOPS = {
    "lorenz_rhs": '''
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    state = np.asarray(state)
    out = np.empty_like(state, dtype=float)
    flat_in, flat_out = state.reshape(-1, 3), out.reshape(-1, 3)
    for i in range(flat_in.shape[0]):
        x, y, z = flat_in[i]
        flat_out[i] = [sigma * (y - x), x * (rho - z) - y, x * y - beta * z]
    return out
''',
    "rk4_step": '''
def rk4_step(f, x, dt):
    ks, increments = [], [0.0, 0.5, 0.5, 1.0]
    for c in increments:
        ks.append(f(x + c * dt * ks[-1]) if ks else f(x))
    weights = [1, 2, 2, 1]
    return x + dt * sum(w * k for w, k in zip(weights, ks)) / 6
''',
    "simulate": '''
def simulate(f, x0, dt, n_steps):
    rows = [np.array(x0, dtype=float, copy=True)]
    for _ in range(n_steps):
        rows.append(rk4_step(f, rows[-1], dt))
    return np.array(rows)
''',
    "lorenz_fixed_points": '''
import math
def lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3):
    points = [[0.0, 0.0, 0.0]]
    if rho > 1:
        c = math.sqrt(beta * (rho - 1))
        for s in (1, -1):
            points.append([s * c, s * c, rho - 1])
    return np.array(points)
''',
    "lorenz_jacobian": '''
def lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3):
    J = np.zeros((3, 3))
    x, y, z = (float(v) for v in state)
    J[0, 0], J[0, 1] = -sigma, sigma
    J[1, 0], J[1, 1], J[1, 2] = rho - z, -1, -x
    J[2, 0], J[2, 1], J[2, 2] = y, x, -beta
    return J
''',
    "hopf_rho": '''
def hopf_rho(sigma=10.0, beta=8/3):
    numerator = sigma ** 2 + sigma * beta + 3 * sigma
    return numerator / (sigma - beta - 1.0)
''',
}

STYLE_VECTOR = {
    "lorenz_rhs": '''
def lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3):
    x, y, z = np.moveaxis(np.asarray(state, dtype=float), -1, 0)
    return np.moveaxis(np.array([sigma * y - sigma * x, rho * x - x * z - y, x * y - beta * z]), 0, -1)
''',
    "rk4_step": '''
def rk4_step(f, x, dt):
    h = dt
    a = f(x)
    b = f(x + 0.5 * h * a)
    c = f(x + 0.5 * h * b)
    d = f(x + h * c)
    return x + (h / 6.0) * a + (h / 3.0) * b + (h / 3.0) * c + (h / 6.0) * d
''',
    "simulate": '''
def simulate(f, x0, dt, n_steps):
    out = np.zeros((n_steps + 1,) + np.shape(x0))
    out[0] = x0
    for k in range(1, n_steps + 1):
        out[k] = rk4_step(f, out[k - 1], dt)
    return out
''',
    "lorenz_fixed_points": '''
def lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3):
    if not rho > 1:
        return np.zeros((1, 3))
    c = (beta * (rho - 1)) ** 0.5
    return np.array([0.0, 1.0, -1.0])[:, None] * np.array([c, c, 0.0]) + np.array([0.0, 1.0, 1.0])[:, None] * np.array([0.0, 0.0, rho - 1])
''',
    "lorenz_jacobian": '''
def lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3):
    x, y, z = state
    return np.array([[-sigma, sigma, 0], [rho - z, -1, -x], [y, x, -beta]], dtype=np.float64)
''',
    "hopf_rho": '''
def hopf_rho(sigma=10.0, beta=8/3):
    return np.float64(sigma) * (sigma + beta + 3) / (sigma - (beta + 1))
''',
}


@pytest.mark.parametrize("style", [STYLE_LOOPS, STYLE_VECTOR], ids=["loops", "vectorised"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: r["message"] for q, r in results.items() if r["score"] < r["max_score"]}
    assert not wrong, wrong
