"""Known values and properties of lib.ei (02_balanced_rate_network); fast, fixed seeds."""

import math

import numpy as np
import pytest
import torch

from lib import ei


def test_dale_signs_order_and_dtype():
    s = ei.dale_signs(3, 2)
    assert s.tolist() == [1.0, 1.0, 1.0, -1.0, -1.0]
    assert s.dtype == torch.get_default_dtype()


def test_apply_dale_keeps_column_signs_for_any_raw_matrix():
    W_raw = torch.randn(20, 20, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    W = ei.apply_dale(W_raw, ei.dale_signs(12, 8))
    assert W.dtype == torch.float64
    assert torch.all(W[:, :12] >= 0) and torch.all(W[:, 12:] <= 0)
    assert torch.allclose(W.abs(), W_raw.abs())


def test_balanced_weights_structure_and_reproducibility():
    W = ei.balanced_weights(30, 12, 11, 0.5, 2.0, torch.Generator().manual_seed(1))
    assert torch.all(torch.diagonal(W) == 0)
    assert torch.all((W[:, :30] != 0).sum(1) == 11) and torch.all((W[:, 30:] != 0).sum(1) == 11)
    assert torch.allclose(W[W > 0], torch.tensor(0.5 / math.sqrt(11)))
    assert torch.allclose(W[W < 0], torch.tensor(-1.0 / math.sqrt(11)))
    torch.manual_seed(123)
    W2 = ei.balanced_weights(30, 12, 11, 0.5, 2.0, torch.Generator().manual_seed(1))
    assert torch.equal(W, W2)


@pytest.mark.parametrize("K", [0, 12, -1])
def test_balanced_weights_rejects_impossible_K(K):
    with pytest.raises(ValueError):
        ei.balanced_weights(30, 12, K, 1.0, 2.0, torch.Generator().manual_seed(0))


def test_ei_rate_rhs_hand_computed():
    one = torch.ones(1, 1)
    dE, dI = ei.ei_rate_rhs(torch.tensor([1.0]), torch.tensor([0.5]), one, one, one, one,
                            torch.tensor([2.0]), 0.5, 0.25)
    assert torch.allclose(dE, torch.tensor([3.0])) and torch.allclose(dI, torch.tensor([0.0]))


def test_input_currents_sum_to_total_input():
    g = torch.Generator().manual_seed(2)
    W = torch.randn(9, 9, generator=g, dtype=torch.float64)
    r = torch.rand(4, 9, generator=g, dtype=torch.float64)
    exc, inh = ei.input_currents(W, r, 0.3)
    assert torch.allclose(exc + inh, r @ W.T + 0.3)
    assert torch.all(inh <= 0)


def test_balance_index_extremes():
    exc = torch.tensor([[1.0, 2.0, 4.0], [3.0, 2.0, 1.0]])
    assert float(ei.balance_index(exc, torch.zeros(2, 3))) == 1.0
    assert float(ei.balance_index(exc, -exc)) == 0.0


def test_balance_index_averages_over_time_before_the_ratio():
    """Per unit |mean_t(exc + inh)| / mean_t(exc), then the mean over units (the spec's
    second edition): unit 0 (1 / 2) and unit 1 (1 / 4) give 0.375; the first edition's
    mean of per-entry ratios would give 0.5."""
    exc = torch.tensor([[2.0, 4.0], [2.0, 4.0]])
    inh = torch.tensor([[-1.0, -5.0], [-1.0, -1.0]])
    assert float(ei.balance_index(exc, inh)) == pytest.approx(0.375)
    assert float(torch.mean(torch.abs(exc + inh) / exc)) == pytest.approx(0.5)


def test_balanced_state_balance_improves_with_K():
    betas = ei.balance_sweep([5, 20, 80], n_steps=600, n_discard=300)
    assert np.all(np.diff(betas) < 0) and betas[-1] < 0.2
    # roughly 1/sqrt(K): a 16-fold K shrinks the index by a factor between 2 and 5
    assert 2.0 < betas[0] / betas[-1] < 5.0


def test_eirnn_forward_matches_explicit_euler_and_obeys_dale():
    m = ei.EIRNN(2, 5, 3, 2, tau_E=0.2, tau_I=0.1, dt=0.05, seed=0).double()
    with torch.no_grad():
        m.W_rec_raw.normal_()
    W = m.W_rec
    assert torch.all(W[:, :5] >= 0) and torch.all(W[:, 5:] <= 0)
    assert torch.all(torch.diagonal(W) == 0)
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    y, r = m(x)
    tau = torch.tensor([0.2] * 5 + [0.1] * 3, dtype=torch.float64)
    rr = torch.zeros(3, 8, dtype=torch.float64)
    for t in range(4):
        rr = rr + 0.05 / tau * (-rr + torch.relu(rr @ W.T + x[t] @ m.W_in.T + m.b))
    assert torch.allclose(r[-1], rr)
    assert torch.allclose(y[-1], m.readout(rr[:, :5]))


def test_closed_loop_continues_forward():
    m = ei.EIRNN(3, 6, 2, 3, seed=1).double()
    x0 = torch.randn(2, 3, dtype=torch.float64)
    r0 = torch.rand(2, 8, dtype=torch.float64)
    out = ei.ei_closed_loop(m, x0, r0, 3)
    y, r = m(x0[None], r0)
    assert torch.allclose(out[0], y[0])
    y2, _ = m(out[0][None], r[0])
    assert torch.allclose(out[1], y2[0])


# ---- balance of a trained network (issue 14) ----------------------------------------------


def _hand_made_network():
    """Two E units (0, 1) and one I unit (2) with dt = tau, so each step sets r = relu(input).
    E -> E weights 0.5 both ways, E -> I weights 0.5, I -> E weights -0.5, biases (1, 1, 0),
    no input weights.  From zero rates the rates settle at r = (1, 1, 1): each E unit gets
    recurrent excitation 0.5, inhibition -0.5 and drive 1 (net 1), the I unit excitation 1
    and nothing else (net 1)."""
    m = ei.EIRNN(1, 2, 1, 1, tau_E=0.1, tau_I=0.1, dt=0.1, seed=0).double()
    with torch.no_grad():
        m.W_rec_raw.copy_(torch.tensor([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]))
        m.W_in.zero_()
        m.b.copy_(torch.tensor([1.0, 1.0, 0.0]))
    return m


def test_trained_balance_of_a_hand_made_network():
    m = _hand_made_network()
    b = ei.trained_balance(m, torch.zeros(200, 1, dtype=torch.float64), n_warmup=150)
    # E units: |1| / 0.5 = 2; I unit: 1 / 1 = 1; mean over the 3 units 5/3
    assert b["balance_index"] == pytest.approx(5 / 3, rel=1e-6)
    assert b["exc_mean_E"] == pytest.approx(0.5, rel=1e-6)
    assert b["inh_mean_E"] == pytest.approx(-0.5, rel=1e-6)
    assert b["ext_mean_E"] == pytest.approx(1.0) and b["ext_mean_I"] == pytest.approx(0.0)
    assert b["exc_mean_I"] == pytest.approx(1.0, rel=1e-6) and b["inh_mean_I"] == 0.0
    assert b["active_fraction"] == 1.0


def test_recurrent_and_external_inputs_add_up_to_the_total():
    m = ei.EIRNN(3, 6, 2, 3, seed=3).double()
    g = torch.Generator().manual_seed(4)
    r = torch.rand(5, 8, generator=g, dtype=torch.float64)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    with torch.no_grad():
        exc, inh, ext = ei.recurrent_and_external(m, r, x)
        penalty = float(ei.balance_penalty(m, r, x, eps=0.0))
    assert torch.allclose(exc + inh + ext, r @ m.W_rec.T + x @ m.W_in.T + m.b)
    assert torch.all(exc >= 0) and torch.all(inh <= 0)
    # the penalty is the index of these inputs (the batch standing in for time)
    assert penalty == pytest.approx(float(ei.balance_index(exc, inh + ext)))


def test_balance_penalty_off_by_default_changes_nothing():
    series = torch.randn(200, 3, generator=torch.Generator().manual_seed(5))
    kw = dict(n_iter=4, batch_size=4, burn_in=6, rollout=3, tf_skip=2)
    a, b = ei.EIRNN(3, 6, 2, 3, seed=0), ei.EIRNN(3, 6, 2, 3, seed=0)
    la = ei.train_rollout(a, series, **kw)
    lb = ei.train_rollout(b, series, balance_weight=0.0, **kw)
    assert la == lb
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = ei.EIRNN(3, 6, 2, 3, seed=0)
    lc = ei.train_rollout(c, series, balance_weight=1.0, **kw)
    assert lc[0] == la[0]                       # the returned loss is the task loss only
    assert not torch.equal(c.W_rec_raw, a.W_rec_raw)


def test_train_balanced_eirnn_returns_an_eirnn():
    from lib.task import lorenz_task
    m, info = ei.train_balanced_eirnn(lorenz_task(), n_exc=8, n_inh=4, n_iter=2, batch_size=2)
    assert isinstance(m, ei.EIRNN) and len(info["loss"]) == 2
    assert info["config"]["balance_weight"] > 0 and ei.sign_consistency(m) == 1.0
