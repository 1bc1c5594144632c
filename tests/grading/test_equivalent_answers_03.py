"""Correct answers written differently get full marks (03_balanced_spiking_network).

Each style replaces every graded function's cell at once and grades the whole notebook in
the sandbox (the reservoir is built with the replaced functions too, so it is graded as
well, but only the replaced questions are asserted).
"""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow
A = "03_balanced_spiking_network"

# Loops and another library (norse).
STYLE_LOOPS = {
    "lif_step": '''
def lif_step(v, i_in, tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3):
    # norse's box cell with the same parameters
    t = lambda x: torch.tensor(x, dtype=v.dtype)
    p = norse.LIFBoxParameters(tau_mem_inv=t(1 / tau_m), v_leak=t(v_rest), v_th=t(v_th),
                               v_reset=t(v_reset), method="heaviside")
    with torch.no_grad():
        z, s = norse.LIFBoxCell(p, dt=dt)(i_in, LIFBoxFeedForwardState(v=v.clone()))
    return z, s.v
''',
    "sparse_ei_weights": '''
def sparse_ei_weights(n_exc, n_inh, p, w_exc, g, generator):
    n = n_exc + n_inh
    W = torch.zeros(n, n)
    for i in range(n):                     # one row (postsynaptic neuron) at a time
        u = torch.rand(n, generator=generator)
        row = (u < p).to(W.dtype)
        row[i] = 0.0
        W[i, :n_exc] = row[:n_exc] * w_exc
        W[i, n_exc:] = row[n_exc:] * (-g * w_exc)
    return W
''',
    "run_lif_network": '''
def run_lif_network(i_ext, W_rec, tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3, v0=None):
    T, n = i_ext.shape
    v = torch.zeros(n, dtype=i_ext.dtype) if v0 is None else v0.clone()
    z = torch.zeros(n, dtype=i_ext.dtype)
    spikes = []
    for t in range(T):
        i_t = i_ext[t] + torch.einsum("ij,j->i", W_rec, z)
        v = v + dt / tau_m * (-v + i_t)
        z = (v > v_th).to(i_ext.dtype)
        v = torch.where(z > 0, torch.full_like(v, v_reset), v)
        spikes.append(z)
    return torch.stack(spikes)
''',
    "ridge_regression": '''
def ridge_regression(X, Y, alpha):
    # a column of ones for the bias, excluded from the penalty
    n, d = X.shape
    Xa = torch.cat([X, torch.ones(n, 1, dtype=X.dtype)], 1)
    P = alpha * torch.eye(d + 1, dtype=X.dtype)
    P[-1, -1] = 0
    Wa = torch.linalg.solve(Xa.T @ Xa + P, Xa.T @ Y)
    return Wa[:-1], Wa[-1]
''',
}

# Vectorised in other ways: heaviside, bernoulli, a transposed product, least squares.
STYLE_VECTOR = {
    "lif_step": '''
def lif_step(v, i_in, tau_m=0.01, v_rest=0.0, v_th=1.0, v_reset=0.0, dt=1e-3):
    a = dt / tau_m
    v_new = v + a * (v_rest - v + i_in)
    z = torch.heaviside(v_new - v_th, torch.zeros_like(v_new))
    return z, z * v_reset + (1 - z) * v_new
''',
    "sparse_ei_weights": '''
def sparse_ei_weights(n_exc, n_inh, p, w_exc, g, generator):
    n = n_exc + n_inh
    mask = torch.bernoulli(torch.full((n, n), float(p)), generator=generator)
    mask = mask * (1 - torch.eye(n))
    signs = torch.cat([torch.full((n_exc,), float(w_exc)), torch.full((n_inh,), -g * w_exc)])
    return mask * signs
''',
    "run_lif_network": '''
def run_lif_network(i_ext, W_rec, tau_m=0.01, v_th=1.0, v_reset=0.0, dt=1e-3, v0=None):
    T, n = i_ext.shape
    v = torch.zeros(n, dtype=i_ext.dtype) if v0 is None else v0
    z = torch.zeros(n, dtype=i_ext.dtype)
    out = torch.zeros_like(i_ext)
    for t in range(T):
        z, v = lif_step(v, i_ext[t] + z @ W_rec.T, tau_m, 0.0, v_th, v_reset, dt)
        out[t] = z
    return out
''',
    "ridge_regression": '''
def ridge_regression(X, Y, alpha):
    # centred least squares with sqrt(alpha) * I rows appended
    xm, ym = X.mean(0), Y.mean(0)
    A = torch.cat([X - xm, math.sqrt(alpha) * torch.eye(X.shape[1], dtype=X.dtype)])
    B = torch.cat([Y - ym, torch.zeros(X.shape[1], Y.shape[1], dtype=X.dtype)])
    W = torch.linalg.lstsq(A, B).solution
    return W, ym - xm @ W
''',
}


@pytest.mark.parametrize("style", [STYLE_LOOPS, STYLE_VECTOR], ids=["loops", "vectorised"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: r["message"] for q, r in results.items()
             if q in style and r["score"] < r["max_score"]}
    assert not wrong, wrong


# A reservoir written differently from the notebook's (its own simulation loop, lif_step
# called with keyword arguments, a smaller network, 20 ms traces, another washout and
# alpha): it runs the spiking network through lif_step, so it keeps its points under the
# checks that silence or change the neurons.
RESERVOIR_OWN_LOOP = {"reservoir": '''
reservoir_washout = 150
W_alt, W_in_alt = make_reservoir(n_exc=480, n_inh=120, seed=7)

def run_alt(u_seq):
    n = W_alt.shape[0]
    drive = 0.3 + torch.as_tensor(u_seq, dtype=torch.float32) @ W_in_alt.T
    v, z, x, out = torch.zeros(n), torch.zeros(n), torch.zeros(n), []
    keep = math.exp(-1e-3 / 0.02)
    for s in range(len(drive)):
        for _ in range(3):
            z, v = lif_step(v=v, i_in=drive[s] + W_alt @ z, tau_m=0.01, v_th=1.0, dt=1e-3)
            x = keep * x + z
        out.append(x.clone())
    return torch.stack(out)

X_alt = torch.cat([run_alt(u_all[:n_train]), u_all[:n_train]], 1).double()
W_o, b_o = ridge_regression(X_alt[reservoir_washout:-1],
                            u_all[reservoir_washout + 1:n_train].double(), 1.0)

def reservoir_predict(u_seq):
    u_seq = torch.as_tensor(u_seq, dtype=torch.float32)
    X = torch.cat([run_alt(u_seq), u_seq], 1).double()
    return (X @ W_o + b_o).to(u_seq.dtype)
'''}


def test_a_reservoir_written_differently_gets_its_points(tmp_path):
    path = variant(A, tmp_path, replace=RESERVOIR_OWN_LOOP)
    _, results, _ = grade(A, path)
    assert results["reservoir"]["score"] == results["reservoir"]["max_score"], results["reservoir"]
