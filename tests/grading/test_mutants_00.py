"""Plausible mistakes in 00_introduction lose exactly their exercise's points.

Each run mutates a group of exercises while the others stay correct, so a run proves
both that the mutants are caught and that correct neighbours (including a correct
``simulate`` next to a wrong ``rk4_step``) keep their points.
"""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow  # each case runs the sandbox (~5 s)

A = "00_introduction"


def fn(signature, body):
    return f"def {signature}:\n" + "\n".join("    " + line for line in body.strip().splitlines())


MUTANTS = {
    "lorenz_rhs": [
        fn("lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state[..., 0], state[..., 1], state[..., 2]
return np.stack([sigma * (y - x), x * (rho - z) + y, x * y - beta * z], axis=-1)"""),
        fn("lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state[..., 0], state[..., 1], state[..., 2]
return np.stack([10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z], axis=-1)"""),
        fn("lorenz_rhs(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state[..., 0], state[..., 1], state[..., 2]
return np.stack([sigma * (x - y), x * (rho - z) - y, x * y - beta * z], axis=-1)"""),
    ],
    "rk4_step": [
        fn("rk4_step(f, x, dt)", """
k1 = f(x); k2 = f(x + dt * k1); k3 = f(x + dt / 2 * k2); k4 = f(x + dt * k3)
return x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)"""),
        fn("rk4_step(f, x, dt)", """
k1 = f(x); k2 = f(x + dt / 2 * k1); k3 = f(x + dt / 2 * k2); k4 = f(x + dt * k3)
return x + dt / 4 * (k1 + k2 + k3 + k4)"""),
        fn("rk4_step(f, x, dt)", """
k1 = f(x); k2 = f(x + dt / 2 * k1); k3 = f(x + dt / 2 * k2); k4 = f(x + dt * k3)
x += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
return x"""),
    ],
    "simulate": [
        fn("simulate(f, x0, dt, n_steps)", """
rows = [x0]
for _ in range(n_steps - 1):
    rows.append(rk4_step(f, rows[-1], dt))
return np.stack(rows)"""),
        fn("simulate(f, x0, dt, n_steps)", """
rows = []
x = x0
for _ in range(n_steps + 1):
    x = rk4_step(f, x, dt)
    rows.append(x)
return np.stack(rows)"""),
        fn("simulate(f, x0, dt, n_steps)", """
traj = np.empty((n_steps + 1,) + np.shape(x0))
traj[0] = x0
for k in range(n_steps):
    x0[...] = rk4_step(f, x0, dt)
    traj[k + 1] = x0
return traj"""),
        # issue 24: a list of rows, not the contract's array
        fn("simulate(f, x0, dt, n_steps)", """
rows = [np.asarray(x0, dtype=float)]
for _ in range(n_steps):
    rows.append(rk4_step(f, rows[-1], dt))
return [r.tolist() for r in rows]"""),
    ],
    "lorenz_fixed_points": [
        fn("lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3)", """
if rho < 1:
    return np.zeros((1, 3))
c = np.sqrt(beta * (rho - 1))
return np.array([[0.0, 0.0, 0.0], [c, c, rho - 1], [-c, -c, rho - 1]])"""),
        fn("lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3)", """
if rho <= 1:
    return np.zeros((1, 3))
c = np.sqrt(beta * (rho - 1))
return np.array([[0.0, 0.0, 0.0], [-c, -c, rho - 1], [c, c, rho - 1]])"""),
        fn("lorenz_fixed_points(sigma=10.0, rho=28.0, beta=8/3)", """
if rho <= 1:
    return np.zeros((1, 3))
c = np.sqrt(beta * rho)
return np.array([[0.0, 0.0, 0.0], [c, c, rho - 1], [-c, -c, rho - 1]])"""),
    ],
    "lorenz_jacobian": [
        fn("lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state
return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [y, x, -beta]]).T"""),
        fn("lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state
return np.array([[-sigma, sigma, 0.0], [rho + z, -1.0, -x], [y, x, -beta]])"""),
        fn("lorenz_jacobian(state, sigma=10.0, rho=28.0, beta=8/3)", """
x, y, z = state
return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [x, y, -beta]])"""),
    ],
    "hopf_rho": [
        fn("hopf_rho(sigma=10.0, beta=8/3)", "return sigma * (sigma + beta + 3) / (sigma - beta + 1)"),
        fn("hopf_rho(sigma=10.0, beta=8/3)", "return 24.7368"),
        fn("hopf_rho(sigma=10.0, beta=8/3)", "return sigma * (sigma + beta + 3) / (sigma + beta - 1)"),
    ],
}

GROUP_A = ["lorenz_rhs", "simulate", "lorenz_jacobian"]
GROUP_B = ["rk4_step", "lorenz_fixed_points", "hopf_rho"]   # hopf_rho: an extension


@pytest.mark.parametrize("k", range(3))
@pytest.mark.parametrize("group", [GROUP_A, GROUP_B], ids=["A", "B"])
def test_mutants_lose_exactly_their_points(tmp_path, group, k):
    path = variant(A, tmp_path, replace={q: MUTANTS[q][k] for q in group})
    scores, results, _ = grade(A, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    assert lost == set(group), {q: results[q]["message"] for q in scores}
    for q in group:
        assert results[q]["message"] != "passed" and len(results[q]["message"]) > 20


def test_wrong_lorenz_rhs_loses_only_its_points(tmp_path):
    """The issue's example: one sign error in one component of lorenz_rhs."""
    path = variant(A, tmp_path, replace={"lorenz_rhs": MUTANTS["lorenz_rhs"][0]})
    scores, results, _ = grade(A, path)
    assert scores["lorenz_rhs"] == 0
    assert all(s == results[q]["max_score"] for q, s in scores.items() if q != "lorenz_rhs")
    assert "lorenz_rhs" in results["lorenz_rhs"]["message"]


def test_simulate_returning_a_list_of_rows_loses_its_points(tmp_path):
    """Issue 24: the right numbers as a list of rows, not the contract's NumPy array."""
    path = variant(A, tmp_path, replace={"simulate": MUTANTS["simulate"][3]})
    scores, results, _ = grade(A, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    assert lost == {"simulate"}, {q: results[q]["message"] for q in scores}
    assert "NumPy array" in results["simulate"]["message"]
