"""Correct answers written differently get full marks (04_dynamical_analysis)."""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow
A = "04_dynamical_analysis"

# Loops, other optimisers and other libraries (L-BFGS, NumPy).
STYLE_LOOPS = {
    "find_fixed_points": '''
def find_fixed_points(F, h0, n_iter=400, lr=1.0, q_tol=1e-6, unique_tol=1e-3):
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
    return h[keep]
''',
    "classify_fixed_point": '''
def classify_fixed_point(J, tol=1e-9):
    re = np.linalg.eigvals(np.asarray(J)).real
    if np.any(np.abs(re) <= tol):
        return "non-hyperbolic"
    return "stable" if np.all(re < 0) else "unstable" if np.all(re > 0) else "saddle"
''',
    "classify_map_fixed_point": '''
def classify_map_fixed_point(J, tol=1e-9):
    moduli = []
    for mu in np.linalg.eigvals(np.asarray(J)):
        moduli.append(math.hypot(mu.real, mu.imag))
    if any(abs(m - 1.0) <= tol for m in moduli):
        return "non-hyperbolic"
    if all(m < 1 for m in moduli):
        return "stable"
    if all(m > 1 for m in moduli):
        return "unstable"
    return "saddle"
''',
    "lyapunov_spectrum": '''
def lyapunov_spectrum(step, x0, n_steps, dt, n_transient=0, jacobian=None):
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
    return torch.tensor(sorted([t / (n_steps * dt) for t in total], reverse=True),
                        dtype=x.dtype)
''',
}

# Vectorised differently: SGD over the whole batch, scipy eigenvalues, torch.func.jacrev.
STYLE_VECTOR = {
    "find_fixed_points": '''
def find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3):
    h = h0.detach().clone().requires_grad_(True)
    opt = torch.optim.SGD([h], lr=lr, momentum=0.9)
    for _ in range(n_iter):
        opt.zero_grad()
        (0.5 * F(h).pow(2).sum(-1)).sum().backward()
        opt.step()
    h = h.detach()
    q = 0.5 * F(h).pow(2).sum(-1)
    order = torch.argsort(q)
    order = order[q[order] < q_tol]
    kept = torch.zeros(0, dtype=torch.long)
    for i in order:
        if len(kept) == 0 or bool((torch.cdist(h[i][None], h[kept]) > unique_tol).all()):
            kept = torch.cat([kept, i[None]])
    return h[kept]
''',
    "classify_fixed_point": '''
def classify_fixed_point(J, tol=1e-9):
    import scipy.linalg
    re = scipy.linalg.eigvals(np.asarray(J, dtype=float)).real
    n_pos, n_neg = int(np.sum(re > tol)), int(np.sum(re < -tol))
    if n_pos + n_neg < len(re):
        return "non-hyperbolic"
    if n_pos == 0:
        return "stable"
    return "unstable" if n_neg == 0 else "saddle"
''',
    "classify_map_fixed_point": '''
def classify_map_fixed_point(J, tol=1e-9):
    # squared moduli of the multipliers, compared without square roots where possible
    mu = torch.linalg.eigvals(torch.as_tensor(J, dtype=torch.float64))
    r = torch.sqrt(mu.real ** 2 + mu.imag ** 2)
    if torch.any(torch.abs(r - 1) <= tol):
        return "non-hyperbolic"
    inside, outside = int((r < 1).sum()), int((r > 1).sum())
    return "stable" if outside == 0 else "unstable" if inside == 0 else "saddle"
''',
    "lyapunov_spectrum": '''
def lyapunov_spectrum(step, x0, n_steps, dt, n_transient=0, jacobian=None):
    jac = jacobian if jacobian is not None else (lambda x: torch.func.jacrev(step)(x.detach()))
    x = x0.detach()
    for _ in range(n_transient):
        x = step(x).detach()
    Q = torch.eye(x.numel(), dtype=x.dtype)
    logs = []
    for _ in range(n_steps):
        Q, R = torch.linalg.qr(torch.einsum("ij,jk->ik", jac(x).detach(), Q))
        logs.append(torch.diagonal(R).abs().log())
        x = step(x).detach()
    lam = torch.stack(logs).sum(0) / (n_steps * dt)
    return lam.sort(descending=True).values
''',
}


# Plain gradient descent on the mean of q: slow, but a correct reading of the spec.
STYLE_PLAIN_SGD = {
    "find_fixed_points": '''
def find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3):
    h = h0.detach().clone().requires_grad_(True)
    opt = torch.optim.SGD([h], lr=lr)
    for _ in range(n_iter):
        opt.zero_grad()
        (0.5 * F(h) ** 2).sum(-1).mean().backward()
        opt.step()
    with torch.no_grad():
        h = h.detach()
        q = 0.5 * (F(h) ** 2).sum(-1)
        order = torch.argsort(q)
        kept = []
        for i in order.tolist():
            if q[i] < q_tol and all(torch.linalg.norm(h[i] - h[j]) > unique_tol for j in kept):
                kept.append(i)
        return h[kept] if kept else h[:0]
''',
}


@pytest.mark.parametrize("style", [STYLE_LOOPS, STYLE_VECTOR, STYLE_PLAIN_SGD],
                         ids=["loops", "vectorised", "plain-sgd"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: r["message"] for q, r in results.items()
             if q in style and r["score"] < r["max_score"]}
    assert not wrong, wrong
