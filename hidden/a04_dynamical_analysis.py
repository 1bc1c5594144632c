"""Hidden checks of 04_dynamical_analysis (never handed to students)."""

import itertools

import numpy as np
import torch

from grading.checks import (Fixture, Registry, as_numpy, expect, expect_close, expect_shape,
                            expect_unchanged, fixture_pair, rng, shape_of, tensor)

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 240, "notebook_timeout": 420, "call_timeout": 60}


# ---- find_fixed_points ------------------------------------------------------------------
def _rows_sorted(a):
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or len(a) == 0:
        return a
    return a[np.lexsort(a.T[::-1])]


def _points(got, K, N, what):
    """The returned fixed points as a float64 array ``(M, N)``, after their shape is
    checked without converting them: at most one point per starting state (``M <= K``,
    as the contract's selection keeps a subset of the optimised starts), so nothing the
    grader computes on them grows with what the notebook returns."""
    shape = shape_of(got)
    if shape is None and isinstance(got, (list, tuple)):
        expect(len(got) <= K, f"{what}: expected at most one point per starting state "
                              f"({K}), got {len(got)} rows")
        try:
            shape = np.shape(got)
        except ValueError:   # ragged rows
            shape = None
    expect(shape is not None, f"{what}: expected a tensor of shape (M, {N}), got "
                              f"{type(got).__name__}")
    expect(len(shape) == 2 and shape[1] == N,
           f"{what}: expected a tensor of shape (M, {N}), got shape {tuple(shape)}")
    expect(shape[0] <= K, f"{what}: expected at most one point per starting state ({K}), got "
                          f"{shape[0]} rows (M <= K: the points kept are a subset of the "
                          "optimised starts)")
    return as_numpy(got, what)


@QUESTIONS.question("find_fixed_points", points=3)
def find_fixed_points(sub, ref):
    # 1. The selection rules, without optimisation (n_iter=0): F(h) = h, so q = |h|^2 / 2.
    ident, identity = fixture_pair("linear_field", A=np.eye(2))
    h0 = np.array([
        [0.125, 0.0625],     # q = 0.009765625, within 0.25 of the point below (lower q)
        [0.125, 0.0],        # q = 0.0078125
        [0.3125, 0.0],       # within 0.25 of (0.125, 0)
        [-0.25, 0.25],
        [0.375, 0.0],        # exactly 0.25 from (0.125, 0): not farther, dropped
        [-0.25, -0.375],
        [0.46875, 0.0],      # near dropped points only: kept
        [0.0, -0.5],         # q exactly equal to q_tol: dropped
        [0.5, 0.5],          # q above q_tol
    ])
    h0t = tensor(h0)
    what = ("find_fixed_points(F, h0, n_iter=0, q_tol=0.125, unique_tol=0.25) with F(h) = h "
            "and 9 starting states in 2-D (no optimisation step, so only the selection of "
            "the starts is tested: q < q_tol, then in increasing order of q keep a point only "
            "if it is farther than unique_tol from every point already kept)")
    got, reply = sub.call("find_fixed_points", ident, h0t, n_iter=0, q_tol=0.125,
                          unique_tol=0.25, return_args=True)
    expect_unchanged([None, h0t], reply["args"], "find_fixed_points")
    want = ref.find_fixed_points(identity, h0t,
                                 n_iter=0, q_tol=0.125, unique_tol=0.25)
    got_np = _points(got, len(h0), 2, what)
    expect_shape(got_np, tuple(want.shape), what + " (number of points kept)")
    expect_close(_rows_sorted(got_np), _rows_sorted(want.numpy()),
                 what + " (compared as a set of points)", rtol=0, atol=1e-12)
    none = sub.call("find_fixed_points", ident, h0t[4:], n_iter=0, q_tol=0.01, unique_tol=0.25)
    expect_shape(none, (0, 2), "find_fixed_points with no start below q_tol must return an "
                               "empty tensor of shape (0, N)")
    # n_iter=1: one optimisation step must be taken.  All starts have q = 0.125, just above
    # q_tol; any descent step with a small learning rate brings q below it (plain gradient
    # descent on the mean of q over all entries still reaches q < 0.1242).
    starts = tensor([[0.5, 0.0], [0.0, -0.5], [-0.3, 0.4]])
    what = ("find_fixed_points(F, h0, n_iter=1, lr=0.02, q_tol=0.1249, unique_tol=0.01) with "
            "F(h) = h from 3 starts where q = 0.125, just above q_tol: with n_iter=1 one "
            "optimisation step is taken, which lowers q below q_tol")
    got = _points(sub.call("find_fixed_points", ident, starts, n_iter=1, lr=0.02,
                           q_tol=0.1249, unique_tol=0.01), len(starts), 2, what)
    expect(got.ndim == 2 and got.shape[1] == 2 and len(got) >= 1,
           f"{what}: expected at least one point, got an array of shape {got.shape}")
    expect(bool(np.all(0.5 * np.sum(got ** 2, axis=-1) < 0.1249)),
           f"{what}: a returned point has q >= q_tol")

    # 2. Optimisation on a field with known fixed points (9 of them in 2-D).
    g = rng(4201)
    M = np.array([[1.0, 0.3], [-0.2, 0.8]])
    P = np.array([[1.1, 0.2], [-0.3, 0.9]])
    fx, f = fixture_pair("cubic_field", M=M, P=P)
    true = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=2))) @ np.linalg.inv(P).T
    starts = np.repeat(true, 4, axis=0) + g.normal(scale=0.08, size=(36, 2))
    what = ("find_fixed_points(F, h0, n_iter=2000, lr=0.02, q_tol=1e-4, unique_tol=0.1) "
            "on a 2-D field with 9 known fixed points, from 36 starts within about 0.1 of them")
    got = sub.call("find_fixed_points", fx, tensor(starts), n_iter=2000, lr=0.02, q_tol=1e-4,
                   unique_tol=0.1, timeout=120)
    got_np = _points(got, len(starts), 2, what)
    expect(got_np.ndim == 2 and got_np.shape[1] == 2,
           f"{what}: expected a tensor of shape (M, 2), got {got_np.shape}")
    q = 0.5 * np.sum(f(tensor(got_np)).numpy() ** 2, axis=-1)
    expect(np.all(q < 1e-4 * (1 + 1e-6)),
           f"{what}: a returned point has q = {q.max():.3g}, not below q_tol")
    dist = np.linalg.norm(got_np[:, None, :] - true[None], axis=-1)
    expect(np.all(dist.min(axis=1) < 0.02),
           f"{what}: a returned point is not close to any fixed point of the field")
    # How many of the 9 are reached in 2000 steps depends on the optimiser (the spec leaves
    # it free: plain SGD on the mean of q reaches 7, Adam and L-BFGS all 9), so require
    # genuine, distinct points covering most of them (an optimiser that stalls finds 1).
    covered = dist.argmin(axis=1).tolist()
    expect(len(set(covered)) == len(covered),
           f"{what}: expected each fixed point at most once, got {len(got_np)} points covering "
           f"{len(set(covered))} of them")
    expect(len(set(covered)) >= 5,
           f"{what}: expected most of the 9 fixed points (at least 5) to be found, got "
           f"{len(set(covered))}: does the optimisation really run for n_iter steps with lr?")


# ---- classify_fixed_point ---------------------------------------------------------------
def _similar(eigs_block, seed):
    """A non-normal matrix with the given real block-diagonal spectrum."""
    D = eigs_block
    P = rng(seed).normal(size=D.shape) + 2 * np.eye(D.shape[0])
    return P @ D @ np.linalg.inv(P)


def _rot(a, b):
    return np.array([[a, -b], [b, a]])


def _blockdiag(*blocks):
    n = sum(np.atleast_2d(b).shape[0] for b in blocks)
    out, i = np.zeros((n, n)), 0
    for b in blocks:
        b = np.atleast_2d(b)
        k = b.shape[0]
        out[i:i + k, i:i + k] = b
        i += k
    return out


def _expect_classes(sub, ref, name, system, cases):
    """Each case ``(J, tol, label)``: the student's ``name`` must give the reference's class
    (tol left at its default when None, else passed by position or by keyword)."""
    reference = getattr(ref, name)
    for i, (J, tol, label) in enumerate(cases):
        Jt = tensor(J)
        if tol is None:
            want, got = reference(Jt), sub.call(name, Jt)
        else:
            want = reference(Jt, tol)
            got = sub.call(name, Jt, tol) if i % 2 else sub.call(name, Jt, tol=tol)
        expect(isinstance(got, str), f"{name} must return a string, got {type(got).__name__}")
        expect(got == want, f"{name}(J) for a float64 Jacobian of {system} with {label}: "
                            f"got {got!r}, which is not the right class")


@QUESTIONS.question("classify_fixed_point", points=2)
def classify_fixed_point(sub, ref):
    cases = [
        (_similar(np.diag([-2.0, -3.0, -0.5]), 4301), None,
         "real eigenvalues -2, -3, -0.5 (a flow: the sign of the real parts decides)"),
        (_similar(np.diag([0.3, 0.5, 0.8]), 4302), None, "real eigenvalues 0.3, 0.5, 0.8"),
        (_similar(_blockdiag(_rot(-0.2, 3.0), -1.0), 4303), None,
         "eigenvalues -0.2 ± 3i and -1"),
        (_similar(_blockdiag(_rot(0.1, 2.0), -4.0), 4304), None,
         "eigenvalues 0.1 ± 2i and -4"),
        (_similar(np.diag([2.0, -0.5]), 4305), None, "real eigenvalues 2 and -0.5"),
        (_similar(np.diag([-1.0, -1.5, -0.9]), 4306), None, "real eigenvalues -1, -1.5, -0.9"),
        (_blockdiag(_rot(0.0, 2.0), -1.0), None, "eigenvalues ±2i and -1"),
        (np.diag([-1.0, 0.0, -2.0]), None, "eigenvalues -1, 0, -2"),
        (_blockdiag(_rot(1e-12, 1.0), -3.0), None, "eigenvalues 1e-12 ± i and -3 (default tol)"),
        (np.diag([-2.0, 0.25, -1.0]), 0.25, "eigenvalues -2, 0.25, -1 with tol=0.25 "
                                            "(a real part exactly at tol)"),
        (np.diag([-2.0, 0.26, -1.0]), 0.25, "eigenvalues -2, 0.26, -1 with tol=0.25"),
        (np.diag([-0.25, -1.0]), 0.25, "eigenvalues -0.25, -1 with tol=0.25"),
        (np.diag([0.5, 3.0]), 0.25, "eigenvalues 0.5, 3 with tol=0.25"),
    ]
    _expect_classes(sub, ref, "classify_fixed_point", "a flow", cases)


# ---- classify_map_fixed_point -------------------------------------------------------------
def _unit_rotation(angle):
    """A multiplier pair exp(+-i angle) exactly on the unit circle (up to rounding)."""
    return _rot(np.cos(angle), np.sin(angle))


@QUESTIONS.question("classify_map_fixed_point", points=2)
def classify_map_fixed_point(sub, ref):
    # Each case separates the map rule (moduli against 1) from a plausible slip: the flow
    # rule (real parts against 0), real parts against 1, mu - 1 instead of |mu| - 1,
    # < against <= at the tolerance.
    cases = [
        (_similar(np.diag([0.5, 0.8, 0.3]), 4601), None, "real multipliers 0.5, 0.8, 0.3"),
        (_similar(np.diag([1.5, 2.0, 1.1]), 4602), None, "real multipliers 1.5, 2, 1.1"),
        (_similar(np.diag([-1.5, -1.2]), 4603), None, "real multipliers -1.5, -1.2"),
        (_similar(np.diag([-0.5, 0.9, -0.2]), 4604), None, "real multipliers -0.5, 0.9, -0.2"),
        (_similar(_blockdiag(_rot(0.9, 0.5), 0.3), 4605), None,
         "multipliers 0.9 ± 0.5i (modulus 1.03) and 0.3"),
        (_similar(_blockdiag(_rot(0.6, -0.7), -0.4), 4606), None,
         "multipliers 0.6 ± 0.7i (modulus 0.92) and -0.4"),
        (_similar(np.diag([1.2, 0.7]), 4607), None, "real multipliers 1.2 and 0.7"),
        (np.diag([-1.0, 0.5, 0.2]), None, "multipliers -1, 0.5, 0.2"),
        (np.diag([1.0, 0.5, 2.0]), None, "multipliers 1, 0.5, 2"),
        (_blockdiag(_unit_rotation(0.7), 0.5), None,
         "multipliers exp(±0.7i) (on the unit circle) and 0.5 (default tol)"),
        (np.diag([1.25, 0.5]), 0.25, "multipliers 1.25, 0.5 with tol=0.25 "
                                     "(a modulus exactly tol away from 1)"),
        (np.diag([0.75, 0.125]), 0.25, "multipliers 0.75, 0.125 with tol=0.25"),
        (np.diag([-1.25, 3.0]), 0.25, "multipliers -1.25, 3 with tol=0.25"),
        (np.diag([1.3, 0.5]), 0.25, "multipliers 1.3, 0.5 with tol=0.25"),
        (np.diag([0.7, -0.5]), 0.25, "multipliers 0.7, -0.5 with tol=0.25"),
        # within 1e-8 of the unit circle, outside the default tol: only float64 eigenvalues
        # tell (float32 rounds 1 +- 5e-9 to 1)
        (_similar(np.diag([1 - 5e-9, 0.5, 0.3]), 4608), None,
         "real multipliers 1 - 5e-9, 0.5, 0.3 (default tol 1e-9)"),
        (_similar(np.diag([1 + 5e-9, 1.5, 2.0]), 4609), None,
         "real multipliers 1 + 5e-9, 1.5, 2 (default tol 1e-9)"),
    ]
    _expect_classes(sub, ref, "classify_map_fixed_point", "a map", cases)


# ---- lyapunov_spectrum ------------------------------------------------------------------
# The Henon map's (a, b) and start: the 37 transient steps change the 300-step spectrum
# (tests/science/test_hidden_inputs.py checks that they do, not the grader)
HENON, HENON_X0 = (1.4, 0.3), [0.4, -0.1]


@QUESTIONS.question("lyapunov_spectrum", points=3)
def lyapunov_spectrum(sub, ref):
    # 1. A linear map with exactly known exponents log|a_ii| / dt (upper triangular A).
    A = np.array([[0.5, 0.7, -0.3], [0.0, 2.0, 0.4], [0.0, 0.0, -1.25]])
    dt = 0.1
    exact = np.sort(np.log(np.abs(np.diag(A))))[::-1] / dt
    step = Fixture("linear_field", A=A)
    x0 = tensor([0.3, -0.2, 0.5])
    what = ("lyapunov_spectrum(step, x0, 40, 0.1, jacobian=J) for the linear map x -> A x with "
            "A upper triangular with diagonal (0.5, 2.0, -1.25), whose exponents are known "
            "exactly (per unit time, sorted from largest to smallest)")
    got, reply = sub.call("lyapunov_spectrum", step, x0, 40, dt,
                          jacobian=Fixture("constant_jacobian", A=A), return_args=True)
    expect_unchanged([None, x0], reply["args"], "lyapunov_spectrum")
    expect(isinstance(got, torch.Tensor),
           f"{what}: expected a 1-D torch tensor, got {type(got).__name__}")
    expect_close(got, exact, what, rtol=1e-6, atol=1e-9)
    # the jacobian argument is what the exponents are measured with: one that is not the
    # step's own (here of another upper-triangular matrix) gives that matrix's exponents
    B = np.array([[0.25, -0.4, 0.6], [0.0, 3.0, 0.1], [0.0, 0.0, -0.8]])
    exact_B = np.sort(np.log(np.abs(np.diag(B))))[::-1] / dt
    got = sub.call("lyapunov_spectrum", step, x0, 40, dt, jacobian=Fixture("constant_jacobian", A=B))
    expect_close(got, exact_B, "lyapunov_spectrum(step, x0, 40, 0.1, jacobian=J) for the same "
                 "linear map with a jacobian J(x) = B of another matrix B (upper triangular, "
                 "diagonal (0.25, 3.0, -0.8)): the exponents must be measured with the "
                 "jacobian given, not with the step's own", rtol=1e-6, atol=1e-9)
    x0f = tensor([0.3, -0.2, 0.5], torch.float32)
    got = sub.call("lyapunov_spectrum", step, x0f, 25, 0.5)
    expect_close(got, exact * dt / 0.5,
                 "lyapunov_spectrum(step, x0, 25, 0.5) (Jacobian by autograd, float32 x0) for "
                 "the same linear map", rtol=1e-4, atol=1e-5)

    # 2. The Henon map: state-dependent Jacobian, transient.
    a, b = HENON
    hx, h = fixture_pair("henon_map", a=a, b=b)
    jx, j = fixture_pair("henon_jacobian", a=a, b=b)
    x0 = tensor(HENON_X0)
    want = ref.lyapunov_spectrum(h, x0, 300, 0.5, n_transient=37, jacobian=j)
    got = sub.call("lyapunov_spectrum", hx, x0, 300, 0.5, n_transient=37, jacobian=jx)
    expect_close(got, want, "lyapunov_spectrum(step, x0, 300, 0.5, n_transient=37, "
                            "jacobian=J) for the Henon map (a=1.4, b=0.3) from (0.4, -0.1)",
                 rtol=1e-6, atol=1e-9)
    got = sub.call("lyapunov_spectrum", hx, x0, 200, 1.0, 5)
    expect_close(got, ref.lyapunov_spectrum(h, x0, 200, 1.0, 5),
                 "lyapunov_spectrum(step, x0, 200, 1.0, 5) for the Henon map with the "
                 "Jacobian by autograd (jacobian=None)", rtol=1e-6, atol=1e-9)
