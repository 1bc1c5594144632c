"""Science of lib.spiking (03): known values, fixed seeds, fast."""

import math

import numpy as np
import pytest
import torch

from lib import spiking as S


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_lif_step_matches_norse_lifboxcell():
    from norse.torch.functional.lif_box import LIFBoxFeedForwardState
    g = torch.Generator().manual_seed(0)
    v = torch.rand(300, generator=g, dtype=torch.float64) * 1.5 - 0.3
    i = torch.randn(300, generator=g, dtype=torch.float64) * 6 + 1
    params = dict(tau_m=0.02, v_rest=0.1, v_th=1.1, v_reset=-0.2, dt=2e-3)
    z, v_new = S.lif_step(v, i, **params)
    cell = S.norse_lif_cell(**params, dtype=torch.float64)
    with torch.no_grad():
        zn, state = cell(i, LIFBoxFeedForwardState(v=v.clone()))
    assert 0 < z.sum() < 300
    assert torch.equal(z, zn)
    assert torch.allclose(v_new, state.v, rtol=1e-12, atol=1e-12)


def test_lif_threshold_is_strict_and_reset_applies():
    v = torch.tensor([1.0, 1.0], dtype=torch.float64)
    i = torch.tensor([4.5, 4.5 + 2.0 ** -12], dtype=torch.float64)
    z, v_new = S.lif_step(v, i, tau_m=2.0 ** -6, v_rest=0.5, v_th=1.25, v_reset=-0.25,
                          dt=2.0 ** -10)
    assert z.tolist() == [0.0, 1.0]
    assert v_new.tolist() == [1.25, -0.25]


@pytest.mark.parametrize("current", [1.05, 1.2, 2.0, 4.0])
def test_f_i_curve_matches_the_euler_map_and_approaches_the_analytic_rate(current):
    v = torch.zeros(1, dtype=torch.float64)
    count = 0
    for _ in range(2000):
        z, v = S.lif_step(v, torch.tensor([current], dtype=torch.float64))
        count += int(z.sum())
    discrete = float(S.lif_rate_discrete(current))
    assert abs(count / 2.0 - discrete) <= 0.5 + 1e-9        # one spike per window at most
    continuous = float(S.lif_rate_continuous(current))
    assert abs(discrete - continuous) / continuous < (0.05 if current < 2.5 else 0.2)


def test_sparse_ei_weights_structure_and_statistics():
    W = S.sparse_ei_weights(400, 100, 0.1, 0.5, 5.0, torch.Generator().manual_seed(3))
    A = W.numpy()
    assert np.all(np.diag(A) == 0)
    assert set(np.unique(A[:, :400])) <= {0.0, 0.5}
    assert set(np.unique(A[:, 400:])) <= {0.0, -2.5}
    density = (A != 0).sum() / (500 * 499)
    assert abs(density - 0.1) < 0.005
    W2 = S.sparse_ei_weights(400, 100, 0.1, 0.5, 5.0, torch.Generator().manual_seed(3))
    assert torch.equal(W, W2)


def test_exponential_trace_of_one_spike_and_constant_input():
    s = torch.zeros(200, 2, dtype=torch.float64)
    s[0, 0] = 1.0
    s[:, 1] = 1.0
    x = S.exponential_trace(s, tau_s=0.02, dt=1e-3)
    d = math.exp(-1e-3 / 0.02)
    assert torch.allclose(x[:, 0], torch.tensor(d) ** torch.arange(200, dtype=torch.float64))
    assert abs(float(x[-1, 1]) - 1 / (1 - d)) < 1e-3      # geometric series


def test_ridge_regression_limits():
    g = np.random.default_rng(0)
    X = torch.tensor(g.normal(size=(100, 3)) + 5.0)
    Y = X @ torch.tensor(g.normal(size=(3, 2))) + 2.0 + 0.01 * torch.tensor(g.normal(size=(100, 2)))
    W, b = S.ridge_regression(X, Y, 0.0)
    Xa = torch.cat([X, torch.ones(100, 1, dtype=X.dtype)], 1)
    sol = torch.linalg.lstsq(Xa, Y).solution
    assert torch.allclose(W, sol[:3], atol=1e-9) and torch.allclose(b, sol[3], atol=1e-8)
    W, b = S.ridge_regression(X, Y, 1e12)                   # all weight shrunk, bias free
    assert float(W.abs().max()) < 1e-6
    assert torch.allclose(b, Y.mean(0), atol=1e-5)


def test_rates_and_cv_of_known_trains():
    g = torch.Generator().manual_seed(0)
    poisson = (torch.rand(50000, 20, generator=g) < 0.02).double()
    assert abs(float(S.firing_rates(poisson, 1e-3).mean()) - 20.0) < 0.5
    assert abs(S.cv_isi(poisson, 1e-3) - math.sqrt(0.98)) < 0.02   # geometric ISIs
    clock = torch.zeros(1000, 1)
    clock[::10] = 1
    assert abs(S.cv_isi(clock, 1e-3)) < 1e-12
    assert math.isnan(S.cv_isi(torch.zeros(100, 3), 1e-3))


def test_run_lif_network_has_a_one_step_synaptic_delay():
    i_ext = torch.zeros(5, 2, dtype=torch.float64)
    i_ext[0, 0] = 20.0                                       # neuron 0 fires at t = 0 only
    W = torch.tensor([[0.0, 0.0], [15.0, 0.0]], dtype=torch.float64)
    s = S.run_lif_network(i_ext, W)
    assert s[:, 0].tolist() == [1, 0, 0, 0, 0]
    assert s[:, 1].tolist() == [0, 1, 0, 0, 0]


def _regime(g=None, recurrent=True, drive=None, T=1500, skip=300):
    W = S.ai_network_weights(seed=1, **({} if g is None else {"g": g}))
    if not recurrent:
        W = torch.zeros_like(W)
    drive = drive or S.AI_DRIVE
    gen = torch.Generator().manual_seed(2)
    i_ext = S.noise_drive(T, W.shape[0], drive["mu"], drive["noise"], gen)
    spikes = S.run_lif_network(i_ext, W)[skip:]
    rates = S.firing_rates(spikes, 1e-3)
    return float(rates.mean()), S.cv_isi(spikes, 1e-3), float((rates == 0).double().mean())


def test_irregularity_comes_from_the_recurrent_inhibition():
    """Issue 13: with the Brunel-like drive (mean above threshold, modest noise) the
    unconnected neurons fire fast and nearly regularly; the inhibition-dominated network
    fires slower and irregularly (CV near 1).  The strong-noise drive is irregular without
    any network, so it cannot show what the network does."""
    rate, cv, silent = _regime()
    assert 10 < rate < 50 and 0.85 < cv < 1.25 and silent < 0.3
    rate_ff, cv_ff, silent_ff = _regime(recurrent=False)
    assert rate_ff > 1.5 * rate and cv_ff < 0.4 and silent_ff == 0
    _, cv_noise_ff, _ = _regime(recurrent=False, drive=S.NOISE_DRIVE)
    assert cv_noise_ff > 0.85


def test_weak_inhibition_runs_away():
    rate, cv, _ = _regime(g=3.0)
    assert rate > 500 and cv < 0.3


def test_reservoir_runs_its_neurons_through_the_given_step():
    """The grader silences the reservoir by replacing lif_step: lib's reservoir goes through
    ``step`` too, and silenced it only sees its input."""
    u = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    W = S.sparse_ei_weights(40, 10, 0.2, 0.5, 5.0, torch.Generator().manual_seed(1))
    W_in = S.input_weights(50, 3, 1.0, torch.Generator().manual_seed(2))
    tr = S.simulate_reservoir(u, W, W_in)
    assert tr.sum() > 0
    silent = lambda v, i, **k: (torch.zeros_like(v), v.clone())  # noqa: E731
    assert S.simulate_reservoir(u, W, W_in, step=silent).abs().sum() == 0


def test_baselines_are_causal_and_ar_beats_persistence():
    from lib.task import lorenz_task
    task = lorenz_task(n_samples=2200)
    u = (task["traj"] - task["train_mean"]) / task["train_std"]
    models = S.fit_baselines(u[:1600])
    test = torch.as_tensor(u[1600:])
    errs = {k: S.one_step_error(m(test), test, 100) for k, m in models.items()}
    assert errs["linear AR(3)"] < errs["linear AR(2)"] < errs["linear AR(1)"] < errs["persistence"]
    for m in models.values():
        assert torch.equal(m(test)[:200], m(test[:200]))


def test_small_reservoir_beats_persistence():
    from lib.task import lorenz_task
    task = lorenz_task(n_samples=2200)
    u = torch.tensor((task["traj"] - task["train_mean"]) / task["train_std"], dtype=torch.float32)
    res = S.fit_reservoir(u[:1600], n_exc=160, n_inh=40)
    pred = res.predict(u[1600:])
    err = S.one_step_error(pred, u[1600:], 100)
    persistence = S.one_step_error(u[1600:], u[1600:], 100)
    assert err < persistence / 3


# ---- the reservoir in closed loop (issue 14) ------------------------------------------


def _small_closed_loop(noise=0.02, **kw):
    from lib.task import lorenz_task
    task = lorenz_task(n_samples=2000)
    u = torch.tensor((task["traj"] - task["train_mean"]) / task["train_std"], dtype=torch.float32)
    model = S.fit_closed_loop_reservoir(u[:1200], n_exc=80, n_inh=20, noise=noise, **kw)
    return model, u


def test_closed_loop_reservoir_shapes_and_determinism():
    model, u = _small_closed_loop()
    n_feat = 100 + 3 + 100                      # traces, input, squared traces (default)
    assert model.W_out.shape == (n_feat, 3) and model.b_out.shape == (3,)
    again, _ = _small_closed_loop()
    assert torch.equal(model.W_out, again.W_out)
    series = u[1200:]
    vpt = S.reservoir_valid_prediction_times(model, series, n_starts=4, n_warmup=50, horizon=100)
    assert vpt.shape == (4,) and np.all(vpt >= 0) and np.all(vpt <= 100 * 0.02 * 0.9056 + 1e-9)
    assert np.array_equal(vpt, S.reservoir_valid_prediction_times(
        again, series, n_starts=4, n_warmup=50, horizon=100))
    run = S.reservoir_free_run(model, series, 30, n_warmup=50)
    assert run.shape == (30, 3) and run.dtype == np.float64 and np.isfinite(run).all()
    assert np.array_equal(run, S.reservoir_free_run(again, series, 30, n_warmup=50))
    quad, _ = _small_closed_loop(quadratic=True, squared=False)
    assert quad.W_out.shape == (100 + 3 + 6, 3)


def test_closed_loop_protocol_is_ctrnn_s():
    """Starts as ``lib.ctrnn.valid_prediction_times``; from each start the free run equals
    ``reservoir_free_run`` on the series cut at ``s - n_warmup`` (teacher forcing on the
    ``n_warmup`` samples before ``s``, then the input ``series[s]``), scored against
    ``series[s + 1 : s + 1 + horizon]``."""
    from lib.ctrnn import valid_prediction_time
    model, u = _small_closed_loop()
    series, n_warmup, horizon = u[1200:], 40, 80
    starts = S.closed_loop_starts(len(series), 3, n_warmup, horizon)
    assert starts.tolist() == np.linspace(n_warmup, len(series) - horizon - 1, 3).astype(int).tolist()
    vpt = S.reservoir_valid_prediction_times(model, series, 3, n_warmup, horizon)
    ones = torch.ones(3, dtype=torch.float64)
    for s, v in zip(starts, vpt):
        run = S.reservoir_free_run(model, series[s - n_warmup:], horizon, n_warmup=n_warmup)
        ref = valid_prediction_time(torch.as_tensor(run), series[s + 1:s + 1 + horizon].double(),
                                    ones, 0.02)
        assert abs(v - ref) < 1e-12
    # a perfect predictor of the true series is valid for the whole horizon
    assert valid_prediction_time(series[1:1 + horizon].double(), series[1:1 + horizon].double(),
                                 ones, 0.02) == horizon * 0.02 * 0.9056


def test_closed_loop_fit_reuses_clean_traces():
    """Without noise the fit may reuse a run of ``simulate_reservoir`` (03's traces_all)."""
    model, u = _small_closed_loop(noise=0.0)
    traces = S.simulate_reservoir(u[:1200], model.W_rec, model.W_in, **model.sim())
    again = S.fit_closed_loop_reservoir(u[:1200], n_exc=80, n_inh=20, noise=0.0, traces=traces)
    assert torch.equal(model.W_out, again.W_out)
