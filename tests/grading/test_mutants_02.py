"""Plausible mistakes in 02_balanced_rate_network lose exactly their exercise's points
(the issue's examples: a Dale parametrisation without the absolute value, a
``balanced_weights`` with autapses), correct alternatives pass, a stub gets zero.

The fast tests run the hidden checks in this process against namespaces built from
``lib.ei`` with one function replaced (through the worker's request handling and the codec,
without the sandbox).  The slow ones grade notebook variants in the sandbox.
"""

import math
import textwrap

import pytest
import torch
from torch import nn

from grading.checks import CheckFailed
from inprocess import InProcess  # noqa: F401 - also imported from here by other tests

# the graded exercises (dale_signs, input_currents and ei_closed_loop are given code in the
# notebook since the four-hour core: lib's versions stand in for them here)
QUESTIONS = ["apply_dale", "balanced_weights", "ei_rate_rhs", "balance_index", "EIRNN"]
GIVEN = ["dale_signs", "input_currents", "ei_closed_loop"]


def lib_namespace():
    import lib.ei as E
    ns = {name: getattr(E, name) for name in QUESTIONS + GIVEN}
    ns.update(torch=torch, nn=nn, math=math)
    return ns


def run(ns):
    import lib
    import hidden.a02_balanced_rate_network as H
    out = {}
    for q in H.QUESTIONS.questions:
        if q["name"] not in QUESTIONS:
            continue
        try:
            q["check"](InProcess(ns), lib)
            out[q["name"]] = None
        except CheckFailed as e:
            out[q["name"]] = str(e)
    return out


def with_code(code):
    ns = lib_namespace()
    exec(textwrap.dedent(code), ns)  # noqa: S102
    return ns


MUTANTS = {
    "apply_dale": {
        "no absolute value": '''
            def apply_dale(W_raw, signs):
                return W_raw * signs''',
        "relu instead of abs": '''
            def apply_dale(W_raw, signs):
                return torch.relu(W_raw) * signs''',
        "signs per row": '''
            def apply_dale(W_raw, signs):
                return W_raw.abs() * signs[:W_raw.shape[0], None]''',
        "in place": '''
            def apply_dale(W_raw, signs):
                return W_raw.abs_().mul_(signs)''',
    },
    "balanced_weights": {
        "inhibitory partners reuse the excitatory draw": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)
                for i in range(N):
                    order = torch.randperm(max(n_exc, n_inh), generator=generator)
                    e = [j for j in order.tolist() if j < n_exc and j != i][:K]
                    k = [j for j in order.tolist() if j < n_inh and n_exc + j != i][:K]
                    W[i, e] = J / math.sqrt(K)
                    W[i, [n_exc + j for j in k]] = -g * J / math.sqrt(K)
                return W''',
        "one exclusion for both populations": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)
                for i in range(N):
                    own = i if i < n_exc else i - n_exc     # the neuron's index in its population
                    for s, n, w in ((0, n_exc, J / math.sqrt(K)), (n_exc, n_inh, -g * J / math.sqrt(K))):
                        c = torch.arange(n); c = c[c != own]
                        W[i, s + c[torch.randperm(len(c), generator=generator)[:K]]] = w
                return W''',
        # issue 24: the "without myself" helper applied to the other population's block as
        # well (it drops that block's last neuron): counts per row, values, diagonal and
        # reproducibility are right, but the last I neuron never projects to an E neuron
        # and the last E neuron never to an I neuron
        "without-myself helper on the wrong block": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)

                def without(cand, i):
                    return cand[cand != i] if bool((cand == i).any()) else cand[:-1]
                for i in range(N):
                    for s, n, w in ((0, n_exc, J / math.sqrt(K)), (n_exc, n_inh, -g * J / math.sqrt(K))):
                        c = without(torch.arange(s, s + n), i)
                        W[i, c[torch.randperm(len(c), generator=generator)[:K]]] = w
                return W''',
        "autapses allowed": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)
                for i in range(N):
                    W[i, torch.randperm(n_exc, generator=generator)[:K]] = J / math.sqrt(K)
                    W[i, n_exc + torch.randperm(n_inh, generator=generator)[:K]] = -g * J / math.sqrt(K)
                return W''',
        "global random state": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)
                for i in range(N):
                    for s, n, w in ((0, n_exc, J / math.sqrt(K)), (n_exc, n_inh, -g * J / math.sqrt(K))):
                        c = torch.arange(s, s + n); c = c[c != i]
                        W[i, c[torch.randperm(len(c))[:K]]] = w
                return W''',
        "with replacement": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh) - 1:
                    raise ValueError("K")
                N = n_exc + n_inh
                W = torch.zeros(N, N)
                for i in range(N):
                    for s, n, w in ((0, n_exc, J / math.sqrt(K)), (n_exc, n_inh, -g * J / math.sqrt(K))):
                        c = torch.arange(s, s + n); c = c[c != i]
                        W[i, c[torch.randint(len(c), (K,), generator=generator)]] = w
                return W''',
        "K = min(n_exc, n_inh) accepted": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                if not 1 <= K <= min(n_exc, n_inh):
                    raise ValueError("K")
                import lib.ei
                return lib.ei.balanced_weights(n_exc, n_inh, min(K, min(n_exc, n_inh) - 1), J, g, generator)''',
        "weights J/K": '''
            def balanced_weights(n_exc, n_inh, K, J, g, generator):
                import lib.ei
                return lib.ei.balanced_weights(n_exc, n_inh, K, J, g, generator) / math.sqrt(K)''',
    },
    "ei_rate_rhs": {
        "drive to I as well": '''
            def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
                dr_E = (-r_E + phi(r_E @ W_EE.T - r_I @ W_EI.T + I_ext)) / tau_E
                dr_I = (-r_I + phi(r_E @ W_IE.T - r_I @ W_II.T + I_ext.mean())) / tau_I
                return dr_E, dr_I''',
        "inhibition added": '''
            def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
                dr_E = (-r_E + phi(r_E @ W_EE.T + r_I @ W_EI.T + I_ext)) / tau_E
                dr_I = (-r_I + phi(r_E @ W_IE.T + r_I @ W_II.T)) / tau_I
                return dr_E, dr_I''',
        "taus swapped": '''
            def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
                dr_E = (-r_E + phi(r_E @ W_EE.T - r_I @ W_EI.T + I_ext)) / tau_I
                dr_I = (-r_I + phi(r_E @ W_IE.T - r_I @ W_II.T)) / tau_E
                return dr_E, dr_I''',
        "phi ignored": '''
            def ei_rate_rhs(r_E, r_I, W_EE, W_EI, W_IE, W_II, I_ext, tau_E, tau_I, phi=torch.relu):
                dr_E = (-r_E + torch.relu(r_E @ W_EE.T - r_I @ W_EI.T + I_ext)) / tau_E
                dr_I = (-r_I + torch.relu(r_E @ W_IE.T - r_I @ W_II.T)) / tau_I
                return dr_E, dr_I''',
    },
    "balance_index": {
        "no absolute value": '''
            def balance_index(exc, inh):
                return torch.mean((exc + inh).mean(dim=0) / exc.mean(dim=0))''',
        "relative to inhibition": '''
            def balance_index(exc, inh):
                return torch.mean(torch.abs((exc + inh).mean(dim=0)) / inh.mean(dim=0).abs())''',
        "ratio of means over everything": '''
            def balance_index(exc, inh):
                return torch.abs(exc + inh).mean() / exc.mean()''',
        "the first edition's mean of per-entry ratios": '''
            def balance_index(exc, inh):
                return torch.mean(torch.abs(exc + inh) / exc)''',
        "absolute value before the time average": '''
            def balance_index(exc, inh):
                return torch.mean(torch.abs(exc + inh).mean(dim=0) / exc.mean(dim=0))''',
        "averaged over units instead of time": '''
            def balance_index(exc, inh):
                return torch.mean(torch.abs((exc + inh).mean(dim=1)) / exc.mean(dim=1))''',
    },
    "EIRNN": {
        "Dale without abs": '''
            class EIRNN(EIRNN):
                @property
                def W_rec(self):
                    W = self.W_rec_raw * dale_signs(self.n_exc, self.n_inh).to(self.W_rec_raw)
                    return W * (1 - torch.eye(W.shape[0], dtype=W.dtype))''',
        "diagonal kept": '''
            class EIRNN(EIRNN):
                @property
                def W_rec(self):
                    return apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh))''',
        "one time constant": '''
            class EIRNN(EIRNN):
                def tau(self, like):
                    return torch.full((self.n_exc + self.n_inh,), self.tau_E).to(like)''',
        "diagonal zeroed in place": '''
            class EIRNN(EIRNN):
                @property
                def W_rec(self):
                    with torch.no_grad():
                        self.W_rec_raw.fill_diagonal_(0)
                    return apply_dale(self.W_rec_raw, dale_signs(self.n_exc, self.n_inh))''',
    },
}

ALTERNATIVES = {
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
            return W.to(torch.get_default_dtype())''',
}

CASES = [(q, label, src) for q, group in MUTANTS.items() for label, src in group.items()]


def test_reference_passes():
    assert run(lib_namespace()) == {q: None for q in QUESTIONS}


@pytest.mark.parametrize("question,label,src", CASES, ids=[f"{q}-{l}" for q, l, _ in CASES])
def test_mutant_loses_exactly_its_question(question, label, src):
    result = run(with_code(src))
    failed = {q for q, msg in result.items() if msg is not None}
    assert failed == {question}, result


@pytest.mark.parametrize("question", sorted(ALTERNATIVES))
def test_correct_alternative_passes(question):
    result = run(with_code(ALTERNATIVES[question]))
    assert all(msg is None for msg in result.values()), result


def test_stub_gets_zero():
    ns = lib_namespace()
    def stub(*a, **k):
        raise NotImplementedError
    class StubModel(nn.Module):
        def __init__(self, *a, **k):
            raise NotImplementedError
    ns.update({q: stub for q in QUESTIONS}, EIRNN=StubModel)
    result = run(ns)
    assert all(msg is not None for msg in result.values()), result


@pytest.mark.slow
def test_notebook_mutants_and_untrained_model(tmp_path):
    """In the sandbox: Dale without abs and autapses lose their points; an untrained
    model loses ei_model; nothing else is lost."""
    from notebooks import grade, variant
    A = "02_balanced_rate_network"
    replace = {
        "apply_dale": "def apply_dale(W_raw, signs):\n    return W_raw * signs",
        "balanced_weights": textwrap.dedent(MUTANTS["balanced_weights"]["autapses allowed"]),
        "ei_model": "ei_model = EIRNN(3, 32, 8, 3)",
    }
    path = variant(A, tmp_path, replace=replace)
    scores, results, _ = grade(A, path)
    lost = {q for q, s in scores.items() if s < results[q]["max_score"]}
    assert lost == set(replace), {q: results[q]["message"] for q in scores}


def test_a_network_trained_without_the_penalty_loses_ei_model_on_its_balance():
    """Exercise 6's recipe without the balance penalty (shortened to 150 steps, about 6 s):
    Dale's signs hold, the network is not a copy, and ei_model is lost with a message naming
    the balance index (0.75 on the grader's trajectory; 1.35 fully trained)."""
    import lib
    from lib import ei
    from lib.task import lorenz_task
    import hidden.a02_balanced_rate_network as H
    torch.set_num_threads(1)
    train = ei.standardised_splits(lorenz_task())[0]
    model = ei.init_eirnn(ei.EIRNN(3, 128, 32, 3, tau_E=0.06, tau_I=0.03, dt=0.02), seed=0)
    ei.train_rollout(model, train, n_iter=150, seed=0)
    check = next(q["check"] for q in H.QUESTIONS.questions if q["name"] == "ei_model")
    with pytest.raises(CheckFailed, match="balance index"):
        check(InProcess({"ei_model": model}), lib)
