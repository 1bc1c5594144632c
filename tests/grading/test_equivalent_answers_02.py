"""Correct answers written differently get full marks (02_balanced_rate_network).

Each style replaces every graded function's cell in one copy of the source notebook (the
notebook is re-executed, training included, so one sandbox run per style) and asserts full
marks on every replaced question.  The EIRNN alternatives keep the solution's
initialisation (the spec leaves it free, and the notebook trains ``ei_model`` with it) and
rewrite ``W_rec`` and ``forward``.
"""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow
A = "02_balanced_rate_network"

# the solution's constructor, shared by both styles
_EIRNN_INIT = '''
class EIRNN(nn.Module):
    def __init__(self, n_in, n_exc, n_inh, n_out, tau_E=0.06, tau_I=0.03, dt=0.02, seed=None):
        super().__init__()
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        self.n_in, self.n_exc, self.n_inh, self.n_out = n_in, n_exc, n_inh, n_out
        self.tau_E, self.tau_I, self.dt = float(tau_E), float(tau_I), float(dt)
        N = n_exc + n_inh
        scale = torch.ones(N)
        scale[n_exc:] = n_exc / max(n_inh, 1)
        W = torch.rand(N, N, generator=gen) * (0.9 / math.sqrt(N))
        self.W_rec_raw = nn.Parameter(W * scale[None, :])
        self.W_in = nn.Parameter(torch.randn(N, n_in, generator=gen) / math.sqrt(n_in))
        self.b = nn.Parameter(0.1 + 0.1 * torch.randn(N, generator=gen))
        self.readout = nn.Linear(n_exc, n_out)
        with torch.no_grad():
            bound = 1 / math.sqrt(n_exc)
            self.readout.weight.copy_((torch.rand(n_out, n_exc, generator=gen) * 2 - 1) * bound)
            self.readout.bias.zero_()
'''

STYLE_EINSUM = {
    "apply_dale": '''
def apply_dale(W_raw, signs):
    return torch.einsum("ij,j->ij", torch.abs(W_raw), signs.to(W_raw.dtype))
''',
    # partners by torch.multinomial on a mask without the neuron itself, built in float64
    "balanced_weights": '''
def balanced_weights(n_exc, n_inh, K, J, g, generator):
    if K < 1 or K > min(n_exc, n_inh) - 1:
        raise ValueError("impossible K")
    N = n_exc + n_inh
    W = torch.zeros(N, N, dtype=torch.float64)
    for i in range(N):
        for s, n, w in ((0, n_exc, J / K ** 0.5), (n_exc, n_inh, -g * J / K ** 0.5)):
            p = torch.ones(n, dtype=torch.float64)
            if s <= i < s + n:
                p[i - s] = 0
            W[i, s + torch.multinomial(p, K, replacement=False, generator=generator)] = w
    return W.to(torch.get_default_dtype())
''',
    "ei_rate_rhs": '''
def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
    mv = lambda W, r: torch.einsum("ij,...j->...i", W, r)
    u_E = mv(W_EE, r_E) - mv(W_EI, r_I) + I_ext
    u_I = mv(W_IE, r_E) - mv(W_II, r_I)
    return (phi(u_E) - r_E) / tau_E, (phi(u_I) - r_I) / tau_I
''',
    "balance_index": '''
def balance_index(exc, inh):
    ratios = ((exc + inh).sum(0) / exc.sum(0)).abs()
    return ratios.sum() / ratios.numel()
''',
    # zero diagonal by fill_diagonal_ on a copy; E and I rows updated separately
    "EIRNN": _EIRNN_INIT + '''
    @property
    def W_rec(self):
        W = apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh)).clone()
        return W.fill_diagonal_(0.0)

    def forward(self, x_seq, r0=None):
        nE = self.n_exc
        N = nE + self.n_inh
        r = x_seq.new_zeros(x_seq.shape[1], N) if r0 is None else r0
        W = self.W_rec
        rs = []
        for x_t in x_seq:
            drive = torch.relu(torch.einsum("ij,bj->bi", W, r)
                               + torch.einsum("ij,bj->bi", self.W_in, x_t) + self.b)
            r_E = r[:, :nE] + self.dt / self.tau_E * (drive[:, :nE] - r[:, :nE])
            r_I = r[:, nE:] + self.dt / self.tau_I * (drive[:, nE:] - r[:, nE:])
            r = torch.cat([r_E, r_I], dim=1)
            rs.append(r)
        r_seq = torch.stack(rs)
        return self.readout(r_seq[:, :, :nE]), r_seq
''',
}

STYLE_VECTOR = {
    "apply_dale": '''
def apply_dale(W_raw, signs):
    return torch.copysign(W_raw, signs.to(W_raw.dtype).unsqueeze(0))
''',
    # vectorised: K largest of uniform scores per row, the neuron itself excluded
    "balanced_weights": '''
def balanced_weights(n_exc, n_inh, K, J, g, generator):
    if not (1 <= K and K < min(n_exc, n_inh)):
        raise ValueError(f"K={K} is impossible")
    N = n_exc + n_inh
    W = torch.zeros(N, N)
    rows = torch.arange(N)
    for start, n, w in ((0, n_exc, J / math.sqrt(K)), (n_exc, n_inh, -g * J / math.sqrt(K))):
        scores = torch.rand(N, n, generator=generator)
        own = rows[start:start + n]
        scores[own, own - start] = -1.0          # never chosen: the others lie in [0, 1)
        picks = scores.topk(K, dim=1).indices + start
        W[rows[:, None].expand(N, K), picks] = w
    return W
''',
    "ei_rate_rhs": '''
def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
    F = torch.nn.functional
    dr_E = (phi(F.linear(r_E, W_EE) - F.linear(r_I, W_EI) + I_ext) - r_E) / tau_E
    dr_I = (phi(F.linear(r_E, W_IE) - F.linear(r_I, W_II)) - r_I) / tau_I
    return dr_E, dr_I
''',
    "balance_index": '''
def balance_index(exc, inh):
    T = exc.shape[0]
    return float(np.mean([abs(float((exc[:, j] + inh[:, j]).sum()) / float(exc[:, j].sum()))
                          for j in range(exc.shape[1])]))
''',
    # zero diagonal by subtracting it; tau per unit by torch.where; functional readout
    "EIRNN": _EIRNN_INIT + '''
    @property
    def W_rec(self):
        W = apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh))
        return W - torch.diag(torch.diagonal(W))

    def forward(self, x_seq, r0=None):
        N = self.n_exc + self.n_inh
        is_exc = torch.arange(N) < self.n_exc
        tau = torch.where(is_exc, self.tau_E, self.tau_I).to(x_seq.dtype)
        r = r0 if r0 is not None else torch.zeros(x_seq.shape[1], N, dtype=x_seq.dtype)
        W, rs = self.W_rec, []
        for t in range(x_seq.shape[0]):
            u = torch.nn.functional.linear(r, W) + torch.nn.functional.linear(x_seq[t], self.W_in, self.b)
            r = r + (self.dt / tau) * (torch.relu(u) - r)
            rs.append(r)
        r_seq = torch.stack(rs)
        y_seq = torch.nn.functional.linear(r_seq[..., :self.n_exc], self.readout.weight,
                                           self.readout.bias)
        return y_seq, r_seq
''',
}


@pytest.mark.parametrize("style", [STYLE_EINSUM, STYLE_VECTOR], ids=["einsum", "vectorised"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: results[q]["message"] for q in style
             if results[q]["score"] < results[q]["max_score"]}
    assert not wrong, wrong
