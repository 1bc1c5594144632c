"""Plausible mistakes in 04_dynamical_analysis and 05_synthesis lose exactly their points.

Two layers:
* fast: the hidden checks run in-process against the notebook's solution cells (the
  tests' one stand-in for the sandbox, ``tests/inprocess.py``), with one
  exercise replaced by a mutant; the issue's "done when" cases are here.
* slow: the same through the real sandbox (``grading.runner``), plus the untouched
  release (every question zero, nothing crashes).
"""

import importlib

import pytest

from grading.checks import CheckFailed
from inprocess import InProcess
from notebooks import exercise_cells, grade, read, source_path, variant

A4, A5 = "04_dynamical_analysis", "05_synthesis"


def fn(signature, body):
    return f"def {signature}:\n" + "\n".join("    " + line for line in body.strip().splitlines())


SETUP = """
import math, os, time
import numpy as np
import torch
from torch import nn
import pandas as pd
from scipy.ndimage import gaussian_filter1d
torch.set_num_threads(1)
"""


def namespace(name, replace=None):
    ns = {}
    exec(SETUP, ns)  # noqa: S102
    cells = exercise_cells(read(source_path(name)))
    for gid, cell in cells.items():
        exec((replace or {}).get(gid, cell.source), ns)  # noqa: S102
    return ns


def run_hidden(name, ns):
    module = importlib.import_module(f"hidden.a{name[:2]}_{name[3:]}")
    ref = importlib.import_module("lib")
    sub = InProcess(ns)
    out = {}
    for q in module.QUESTIONS.questions:
        try:
            q["check"](sub, ref)
            out[q["name"]] = (q["points"], "passed")
        except CheckFailed as e:
            out[q["name"]] = (0, str(e))
    return out


MUTANTS_04 = {
    "find_fixed_points": [
        # q <= q_tol instead of q < q_tol
        fn("find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3)", """
h = h0.detach().clone().requires_grad_(True)
if n_iter > 0:
    opt = torch.optim.Adam([h], lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 1e-3 ** (1.0 / n_iter))
    for _ in range(n_iter):
        opt.zero_grad(); (0.5 * (F(h) ** 2).sum(-1)).sum().backward(); opt.step(); sched.step()
h = h.detach(); q = 0.5 * (F(h) ** 2).sum(-1)
ok = q <= q_tol; h, q = h[ok], q[ok]
kept = []
for i in torch.argsort(q).tolist():
    if all(torch.linalg.norm(h[i] - k) > unique_tol for k in kept):
        kept.append(h[i])
return torch.stack(kept) if kept else h0.new_zeros((0, h0.shape[-1]))"""),
        # merges in input order instead of increasing q
        fn("find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3)", """
h = h0.detach().clone().requires_grad_(True)
if n_iter > 0:
    opt = torch.optim.Adam([h], lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 1e-3 ** (1.0 / n_iter))
    for _ in range(n_iter):
        opt.zero_grad(); (0.5 * (F(h) ** 2).sum(-1)).sum().backward(); opt.step(); sched.step()
h = h.detach(); q = 0.5 * (F(h) ** 2).sum(-1)
ok = q < q_tol; h, q = h[ok], q[ok]
kept = []
for i in range(len(h)):
    if all(torch.linalg.norm(h[i] - k) > unique_tol for k in kept):
        kept.append(h[i])
return torch.stack(kept) if kept else h0.new_zeros((0, h0.shape[-1]))"""),
        # no merging of duplicates
        fn("find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3)", """
h = h0.detach().clone().requires_grad_(True)
if n_iter > 0:
    opt = torch.optim.Adam([h], lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 1e-3 ** (1.0 / n_iter))
    for _ in range(n_iter):
        opt.zero_grad(); (0.5 * (F(h) ** 2).sum(-1)).sum().backward(); opt.step(); sched.step()
h = h.detach(); q = 0.5 * (F(h) ** 2).sum(-1)
return h[q < q_tol]"""),
    ],
    "classify_fixed_point": [
        # the discrete-time rule (eigenvalue magnitudes): the "done when" case
        fn("classify_fixed_point(J, tol=1e-9)", """
m = torch.linalg.eigvals(J).abs()
if bool(((m - 1).abs() <= tol).any()):
    return "non-hyperbolic"
if bool((m < 1).all()):
    return "stable"
if bool((m > 1).all()):
    return "unstable"
return "saddle\""""),
        # < tol instead of <= tol
        fn("classify_fixed_point(J, tol=1e-9)", """
re = torch.linalg.eigvals(J).real
if bool((re.abs() < tol).any()):
    return "non-hyperbolic"
if bool((re < 0).all()):
    return "stable"
if bool((re > 0).all()):
    return "unstable"
return "saddle\""""),
        # eigenvalues read from the diagonal
        fn("classify_fixed_point(J, tol=1e-9)", """
re = torch.diagonal(J)
if bool((re.abs() <= tol).any()):
    return "non-hyperbolic"
if bool((re < 0).all()):
    return "stable"
if bool((re > 0).all()):
    return "unstable"
return "saddle\""""),
    ],
    "classify_map_fixed_point": [
        # the flow rule (real parts against 0) applied to a map
        fn("classify_map_fixed_point(J, tol=1e-9)", """
re = torch.linalg.eigvals(J).real
if bool((re.abs() <= tol).any()):
    return "non-hyperbolic"
if bool((re < 0).all()):
    return "stable"
if bool((re > 0).all()):
    return "unstable"
return "saddle\""""),
        # real parts against 1 instead of moduli (misses negative and complex multipliers)
        fn("classify_map_fixed_point(J, tol=1e-9)", """
re = torch.linalg.eigvals(J).real
if bool(((re - 1).abs() <= tol).any()):
    return "non-hyperbolic"
if bool((re < 1).all()):
    return "stable"
if bool((re > 1).all()):
    return "unstable"
return "saddle\""""),
        # mu - 1 instead of |mu| - 1 in the non-hyperbolic test (misses mu = -1)
        fn("classify_map_fixed_point(J, tol=1e-9)", """
mu = torch.linalg.eigvals(J)
m = mu.abs()
if bool(((mu - 1).abs() <= tol).any()):
    return "non-hyperbolic"
if bool((m < 1).all()):
    return "stable"
if bool((m > 1).all()):
    return "unstable"
return "saddle\""""),
        # < tol instead of <= tol
        fn("classify_map_fixed_point(J, tol=1e-9)", """
m = torch.linalg.eigvals(J).abs()
if bool(((m - 1).abs() < tol).any()):
    return "non-hyperbolic"
if bool((m < 1).all()):
    return "stable"
if bool((m > 1).all()):
    return "unstable"
return "saddle\""""),
        # stable and unstable swapped
        fn("classify_map_fixed_point(J, tol=1e-9)", """
m = torch.linalg.eigvals(J).abs()
if bool(((m - 1).abs() <= tol).any()):
    return "non-hyperbolic"
if bool((m < 1).all()):
    return "unstable"
if bool((m > 1).all()):
    return "stable"
return "saddle\""""),
        # issue 24: eigenvalues in float32 (1 +- 5e-9 rounds to 1: "non-hyperbolic")
        fn("classify_map_fixed_point(J, tol=1e-9)", """
m = torch.linalg.eigvals(torch.as_tensor(J).float()).abs()
if bool(((m - 1).abs() <= tol).any()):
    return "non-hyperbolic"
if bool((m < 1).all()):
    return "stable"
if bool((m > 1).all()):
    return "unstable"
return "saddle\""""),
    ],
}

_LYAP = """
jac = jacobian if jacobian is not None else (lambda x: torch.autograd.functional.jacobian(step, x))
x = x0.detach().clone()
for _ in range({transient}):
    x = step(x)
Q = torch.eye(x.shape[0], dtype=x.dtype)
s = torch.zeros(x.shape[0], dtype=x.dtype)
for _ in range(n_steps):
    Q, R = torch.linalg.qr(jac(x).detach() @ Q)
    s = s + torch.log(torch.abs(torch.diagonal(R)))
    x = step(x).detach()
return {ret}"""
_SIG = "lyapunov_spectrum(step, x0, n_steps, dt, n_transient=0, jacobian=None)"
MUTANTS_04["lyapunov_spectrum"] = [
    # the "done when" cases: no division by dt; not sorted
    fn(_SIG, _LYAP.format(transient="n_transient",
                          ret="torch.sort(s / n_steps, descending=True).values")),
    fn(_SIG, _LYAP.format(transient="n_transient", ret="s / (n_steps * dt)")),
    fn(_SIG, _LYAP.format(transient="0", ret="torch.sort(s / (n_steps * dt), descending=True).values")),
    fn(_SIG, _LYAP.format(transient="n_transient",
                          ret="torch.sort(s / ((n_steps + 1) * dt), descending=True).values")),
    # issue 24: the jacobian argument ignored (always autograd), and a NumPy array returned
    fn(_SIG, _LYAP.replace("jac = jacobian if jacobian is not None else (",
                           "jac = (").format(
        transient="n_transient", ret="torch.sort(s / (n_steps * dt), descending=True).values")),
    fn(_SIG, _LYAP.format(transient="n_transient",
                          ret="torch.sort(s / (n_steps * dt), descending=True).values.numpy()")),
]

_TAB = """
cols = ["one_step_error", "valid_prediction_time", "max_lyapunov", "state_space_divergence",
        "n_params", "train_seconds", "sign_consistency"]
{body}"""
_TSIG = "comparison_table(results)"
MUTANTS_05 = {"comparison_table": [
    # sorted rows
    fn(_TSIG, _TAB.format(body="""
t = pd.DataFrame({k: {c: float(v.get(c, np.nan)) for c in cols} for k, v in results.items()}).T
t = t.sort_index(); t.index.name = "architecture"
return t[cols]""")),
    # columns in the order the metrics happen to come
    fn(_TSIG, _TAB.format(body="""
t = pd.DataFrame.from_dict(results, orient="index")
t = t[[c for c in t.columns if c in cols]]
t.index.name = "architecture"
return t.astype(float)""")),
    # no index name
    fn(_TSIG, _TAB.format(body="""
return pd.DataFrame([[float(v.get(c, np.nan)) for c in cols] for v in results.values()],
                    index=list(results), columns=cols)""")),
    # missing metric as 0 instead of NaN
    fn(_TSIG, _TAB.format(body="""
t = pd.DataFrame([[float(v.get(c, 0.0)) for c in cols] for v in results.values()],
                 index=pd.Index(list(results), name="architecture"), columns=cols)
return t""")),
]}


# ---- fast: in-process ----------------------------------------------------------------------
def test_04_solution_full_marks_in_process():
    out = run_hidden(A4, namespace(A4))
    assert all(msg == "passed" for _, msg in out.values()), out


def test_05_solution_full_marks_in_process():
    out = run_hidden(A5, namespace(A5))
    assert all(msg == "passed" for _, msg in out.values()), out


CASES = [(A4, q, k) for q, ms in MUTANTS_04.items() for k in range(len(ms))] + \
        [(A5, q, k) for q, ms in MUTANTS_05.items() for k in range(len(ms))]


@pytest.mark.parametrize("name,question,k", CASES,
                         ids=[f"{q}-{k}" for _, q, k in CASES])
def test_mutant_loses_exactly_its_question(name, question, k):
    mutants = MUTANTS_04 if name == A4 else MUTANTS_05
    out = run_hidden(name, namespace(name, {question: mutants[question][k]}))
    lost = {q for q, (score, _) in out.items() if score == 0}
    assert lost == {question}, {q: m for q, (_, m) in out.items()}
    assert len(out[question][1]) > 20


def test_correct_alternatives_pass():
    """Loops, NumPy eigenvalues, L-BFGS: full marks."""
    alt = {
        "classify_fixed_point": fn("classify_fixed_point(J, tol=1e-9)", """
ev = np.linalg.eigvals(np.asarray(J))
re = ev.real
if np.any(np.abs(re) <= tol):
    return "non-hyperbolic"
return "stable" if np.all(re < 0) else "unstable" if np.all(re > 0) else "saddle\""""),
        "classify_map_fixed_point": fn("classify_map_fixed_point(J, tol=1e-9)", """
moduli = [abs(complex(mu)) for mu in np.linalg.eigvals(np.asarray(J))]
if any(abs(m - 1.0) <= tol for m in moduli):
    return "non-hyperbolic"
if max(moduli) < 1:
    return "stable"
return "unstable" if min(moduli) > 1 else "saddle\""""),
        "lyapunov_spectrum": fn(_SIG, """
J_of = jacobian
if J_of is None:
    def J_of(x):
        x = x.detach().clone().requires_grad_(True)
        y = step(x)
        rows = [torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(len(y))]
        return torch.stack(rows)
x = x0.clone()
for _ in range(n_transient):
    x = step(x).detach()
d = len(x)
Q = torch.eye(d, dtype=x.dtype)
total = [0.0] * d
for _ in range(n_steps):
    Q, R = torch.linalg.qr(J_of(x) @ Q)
    for i in range(d):
        total[i] += math.log(abs(float(R[i, i])))
    x = step(x).detach()
return torch.tensor(sorted([t / (n_steps * dt) for t in total], reverse=True), dtype=x.dtype)"""),
        "find_fixed_points": fn(
            "find_fixed_points(F, h0, n_iter=400, lr=1.0, q_tol=1e-6, unique_tol=1e-3)", """
# L-BFGS per start, then the selection rules with cdist
h = h0.detach().clone()
out = []
for i in range(len(h)):
    x = h[i:i + 1].clone().requires_grad_(True)
    if n_iter > 0:
        opt = torch.optim.LBFGS([x], lr=lr, max_iter=n_iter, line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad()
            q = 0.5 * (F(x) ** 2).sum()
            q.backward()
            return q
        opt.step(closure)
    out.append(x.detach()[0])
h = torch.stack(out)
q = 0.5 * (F(h) ** 2).sum(-1).detach()
h, q = h[q < q_tol], q[q < q_tol]
h = h[torch.argsort(q)]
keep = []
for i in range(len(h)):
    if not keep or torch.cdist(h[i:i + 1], h[keep]).min() > unique_tol:
        keep.append(i)
return h[keep]"""),
    }
    out = run_hidden(A4, namespace(A4, alt))
    assert all(msg == "passed" for _, msg in out.values()), out


def test_stubs_get_zero_in_process():
    stub = {gid: fn(cell.source.split("def ", 1)[1].split(":\n", 1)[0],
                    "raise NotImplementedError()")
            for gid, cell in exercise_cells(read(source_path(A4))).items()}
    out = run_hidden(A4, namespace(A4, stub))
    assert all(score == 0 for score, _ in out.values()), out


# ---- slow: the real sandbox ----------------------------------------------------------------
@pytest.mark.slow
def test_04_mutants_in_sandbox(tmp_path):
    """One mutant per question at once (the issue's cases): every question lost, with a message."""
    replace = {"lyapunov_spectrum": MUTANTS_04["lyapunov_spectrum"][0],
               "classify_fixed_point": MUTANTS_04["classify_fixed_point"][0],
               "find_fixed_points": MUTANTS_04["find_fixed_points"][2]}
    path = variant(A4, tmp_path, replace=replace)
    scores, results, report = grade(A4, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    assert lost == set(replace), ({q: results[q]["message"] for q in scores}, report)


@pytest.mark.slow
def test_04_unsorted_lyapunov_in_sandbox(tmp_path):
    path = variant(A4, tmp_path, replace={"lyapunov_spectrum": MUTANTS_04["lyapunov_spectrum"][1]})
    scores, results, _ = grade(A4, path)
    assert scores["lyapunov_spectrum"] == 0
    assert all(s == results[q]["max_score"] for q, s in scores.items() if q != "lyapunov_spectrum")
