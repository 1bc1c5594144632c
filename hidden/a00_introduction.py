"""Hidden checks of 00_introduction (never handed to students)."""

import numpy as np

from grading.checks import (Registry, expect, expect_close, expect_shape, expect_unchanged,
                            first_passing, fixture_pair, rng)

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 120, "notebook_timeout": 300, "call_timeout": 20}


def _field(seed, d=3):
    g = rng(seed)
    return fixture_pair("tanh_field", A=g.normal(scale=0.8, size=(d, d)), c=g.normal(size=d))


@QUESTIONS.question("lorenz_rhs", points=2)
def lorenz_rhs(sub, ref):
    x = rng(101).normal(scale=12.0, size=(4, 5, 3)) + np.array([0.0, 0.0, 20.0])
    got, reply = sub.call("lorenz_rhs", x, 9.0, 30.0, 2.5, return_args=True)
    expect_close(got, ref.lorenz_rhs(x, 9.0, 30.0, 2.5),
                 "lorenz_rhs(state, 9.0, 30.0, 2.5) on a batch of states of shape (4, 5, 3)",
                 rtol=1e-9, atol=1e-9)
    expect_unchanged([x], reply["args"], "lorenz_rhs")
    one = np.array([1.5, -2.0, 24.0])
    expect_close(sub.call("lorenz_rhs", one), ref.lorenz_rhs(one),
                 "lorenz_rhs(state) with the default parameters on one state of shape (3,)",
                 rtol=1e-9, atol=1e-9)
    expect_close(sub.call("lorenz_rhs", one, rho=14.0), ref.lorenz_rhs(one, rho=14.0),
                 "lorenz_rhs(state, rho=14.0) (keyword argument)", rtol=1e-9, atol=1e-9)


@QUESTIONS.question("rk4_step", points=2)
def rk4_step(sub, ref):
    fx, f = _field(202, d=4)
    x = rng(203).normal(size=(6, 4))
    got, reply = sub.call("rk4_step", fx, x, 0.05, return_args=True)
    expect_close(got, ref.rk4_step(f, x, 0.05),
                 "rk4_step(f, x, 0.05) for a nonlinear vector field f on a batch of shape (6, 4)",
                 rtol=1e-10, atol=1e-12)
    expect_unchanged([None, x], reply["args"], "rk4_step")
    lx, lf = fixture_pair("linear_field", A=np.array([[0.0, 1.0], [-4.0, -0.3]]))
    x2 = np.array([1.0, -0.5])
    expect_close(sub.call("rk4_step", lx, x2, 0.3), ref.rk4_step(lf, x2, 0.3),
                 "rk4_step(f, x, 0.3) for a linear oscillator on one state of shape (2,)",
                 rtol=1e-10, atol=1e-12)


def _probe_trajectory(step, f, x0, dt, n_steps):
    rows = [np.asarray(x0, dtype=float)]
    for _ in range(n_steps):
        rows.append(step(f, rows[-1], dt))
    return np.stack(rows)


@QUESTIONS.question("simulate", points=2)
def simulate(sub, ref):
    fx, f = _field(301)
    x0 = rng(302).normal(size=(2, 3))
    what = "simulate(f, x0, 0.03, 7) with x0 of shape (2, 3)"

    def attempt(swap, expected):
        got, reply = sub.call("simulate", fx, x0, 0.03, 7, swap=swap, return_args=True)
        expect(isinstance(got, np.ndarray),
               f"{what}: expected a NumPy array of shape (8, 2, 3), got {type(got).__name__}")
        expect_shape(got, (8, 2, 3), what)
        expect_close(got, expected, what + ": row 0 must be x0 and row k+1 one rk4_step "
                     "from row k", rtol=1e-9, atol=1e-12)
        expect_unchanged([None, x0], reply["args"], "simulate")

    probe_fx, probe = fixture_pair("probe_step", scale=0.7)
    first_passing(lambda: attempt(None, ref.simulate(f, x0, 0.03, 7)),
                  # maybe only the student's rk4_step is wrong: simulate with a known step
                  lambda: attempt({"rk4_step": probe_fx}, _probe_trajectory(probe, f, x0, 0.03, 7)))
    x1 = np.array([0.3, -0.2, 0.1])
    got0 = sub.call("simulate", fx, x1, 0.1, 0)
    expect_close(got0, x1[None], "simulate(f, x0, 0.1, 0) must return x0 alone, shape (1, 3)",
                 rtol=0, atol=0)


@QUESTIONS.question("lorenz_fixed_points", points=2)
def lorenz_fixed_points(sub, ref):
    expect_close(sub.call("lorenz_fixed_points"), ref.lorenz_fixed_points(),
                 "lorenz_fixed_points() with the default parameters (origin, C+, C- in this order)",
                 rtol=1e-12, atol=1e-12)
    expect_close(sub.call("lorenz_fixed_points", 7.0, 15.0, 1.5),
                 ref.lorenz_fixed_points(7.0, 15.0, 1.5),
                 "lorenz_fixed_points(7.0, 15.0, 1.5)", rtol=1e-12, atol=1e-12)
    for rho in (1.0, 0.5):
        expect_close(sub.call("lorenz_fixed_points", rho=rho), ref.lorenz_fixed_points(rho=rho),
                     f"lorenz_fixed_points(rho={rho}): below or at rho = 1 only the origin "
                     "exists, shape (1, 3)", rtol=0, atol=1e-12)
    expect_close(sub.call("lorenz_fixed_points", rho=1.5), ref.lorenz_fixed_points(rho=1.5),
                 "lorenz_fixed_points(rho=1.5)", rtol=1e-12, atol=1e-12)


@QUESTIONS.question("lorenz_jacobian", points=2)
def lorenz_jacobian(sub, ref):
    states = rng(501).normal(scale=10.0, size=(4, 3))
    for i, s in enumerate(states):
        params = (9.0, 30.0, 2.5) if i % 2 else ()
        label = "sigma=9, rho=30, beta=2.5" if params else "the default parameters"
        expect_close(sub.call("lorenz_jacobian", s, *params), ref.lorenz_jacobian(s, *params),
                     f"lorenz_jacobian(state) at a random state with {label} "
                     "(row i holds the derivatives of component i)", rtol=1e-12, atol=1e-12)


@QUESTIONS.question("hopf_rho", points=1, extension=True)   # Optional section
def hopf_rho(sub, ref):
    expect_close(sub.call("hopf_rho"), ref.hopf_rho(), "hopf_rho() with the default parameters",
                 rtol=1e-12)
    for sigma, beta in ((16.0, 4.0), (12.5, 1.2)):
        expect_close(sub.call("hopf_rho", sigma, beta), ref.hopf_rho(sigma, beta),
                     f"hopf_rho({sigma}, {beta})", rtol=1e-12)
