"""05's table comes from the shared protocol: rows recomputed from lib find the numbers of
``source/05_synthesis/data/architecture_metrics.json`` (written by
``python -m tools.synthesis_metrics``), and every trained or random row has >= 3 seeds.

The fast tests recompute rows that need no training (the shipped CT-RNN, the readout-only
CT-RNN, the baselines, the Lorenz reference); the slow ones train the E/I network without
Dale's law and fit the 1000-unit echo state network and the spiking reservoir."""

import json
import math
import os

import numpy as np
import pytest
import torch

from lib import comparison as C
from notebooks import ROOT

METRICS = ("one_step_error", "valid_prediction_time", "max_lyapunov", "state_space_divergence",
           "power_spectrum_distance", "n_params", "sign_consistency")
SEEDED = ("CT-RNN", "CT-RNN, readout only", "E/I rate RNN", "E/I rate RNN without Dale",
          "balanced E/I rate RNN", "echo state network", "spiking reservoir")


@pytest.fixture(scope="module")
def data():
    with open(os.path.join(ROOT, "source", "05_synthesis", "data", "architecture_metrics.json"),
              encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def task():
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    return lorenz_task()


def _agree(row, expected, keys=METRICS, rel=1e-6):
    for key in keys:
        if key not in expected:
            continue
        want = expected[key]
        got = row.get(key, float("nan"))
        if want is None:
            assert got is None or math.isnan(got), key
        else:
            assert got == pytest.approx(want, rel=rel, abs=1e-9), key


def test_every_trained_row_has_three_seeds_and_the_headline_is_the_first(data):
    for name in SEEDED:
        assert name in data["architectures"], name
        info = data["seeds"][name]
        assert len(info["seeds"]) >= 3 and info["headline_seed"] == info["seeds"][0], name
        head = data["architectures"][name]
        for key, stats in info["summary"].items():
            assert len(stats["values"]) == len(info["seeds"]), (name, key)
            if head.get(key) is not None:
                assert stats["values"][0] == pytest.approx(head[key]), (name, key)
                finite = [v for v in stats["values"] if v is not None and math.isfinite(v)]
                assert min(finite) - 1e-12 <= stats["mean"] <= max(finite) + 1e-12
        assert name in data["training"], name


def test_the_shipped_ctrnn_row_is_the_protocol_on_the_checkpoint(data, task):
    from tools.synthesis_metrics import _load
    model, seconds = _load("ct", os.path.join(ROOT, "source", "05_synthesis", "checkpoints",
                                              "ctrnn.pt"))
    row = C.rate_model_metrics(model, task, seconds)
    _agree(row, data["architectures"]["CT-RNN"], METRICS + ("train_seconds",), rel=1e-9)


def test_the_readout_only_row_is_the_protocol_on_a_fixed_reservoir(data, task):
    model, _ = C.train_esn(task, seed=data["seeds"]["CT-RNN, readout only"]["seeds"][0],
                           n_hidden=128)
    row = C.rate_model_metrics(model, task, readout_only=True)
    _agree(row, data["architectures"]["CT-RNN, readout only"])
    assert row["n_params"] == 128 * 3 + 3


def test_baselines_and_the_lorenz_reference(data, task):
    from tools.synthesis_metrics import _baseline_rows
    rows = _baseline_rows(task)
    for name, row in rows.items():
        _agree(row, data["architectures"][name])
    ref = C.lorenz_reference(task)
    _agree(ref, data["reference"], ("max_lyapunov", "state_space_divergence",
                                    "power_spectrum_distance"))


def test_leading_directions_give_the_full_methods_largest_exponent(task):
    from lib.analysis import lyapunov_spectrum
    model, _ = C.train_esn(task, seed=0, n_hidden=40)
    model = model.double()
    h0 = C.start_state(model, C.standardised_trajectory(task))
    step = C.closed_loop_step(model)
    full = lyapunov_spectrum(step, h0, 300, 0.02, n_transient=50,
                             jacobian=lambda h: C.closed_loop_jacobian(model, h))

    def jvp(h, Q):
        return C.closed_loop_jacobian(model, h) @ Q
    lead = C.leading_lyapunov(step, jvp, h0, 300, 0.02, n_transient=50, k=3)
    assert torch.allclose(lead, full[:3], atol=1e-8)


def test_without_dale_starts_from_the_same_network_and_may_flip_signs():
    from lib.ei import EIRNN
    a = EIRNN(3, 12, 4, 3, seed=5)
    b = C.UnconstrainedEIRNN(3, 12, 4, 3, seed=5)
    assert torch.equal(a.W_rec, b.W_rec)
    with torch.no_grad():
        b.W_rec_raw[0, 15] = 0.3             # an inhibitory column gets an excitatory weight
    assert b.W_rec[0, 15] > 0 and C.sign_consistency_any(b.W_rec) < 1.0
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())


@pytest.mark.slow
def test_the_rows_that_need_training_or_a_large_reservoir(data, task):
    seed = data["seeds"]["E/I rate RNN without Dale"]["seeds"][0]
    model, _ = C.train_unconstrained_eirnn(task, seed=seed)
    row = C.rate_model_metrics(model, task)
    row["balance_index"] = C.trained_balance_index(model.float(), task)
    # training is deterministic on one thread; allow for rounding across machines
    _agree(row, data["architectures"]["E/I rate RNN without Dale"],
           METRICS + ("balance_index",), rel=1e-3)
    model, _ = C.train_esn(task, seed=data["seeds"]["echo state network"]["seeds"][0])
    _agree(C.rate_model_metrics(model, task, readout_only=True),
           data["architectures"]["echo state network"], rel=1e-6)


@pytest.mark.slow
def test_the_spiking_reservoir_row(data, task):
    from lib.spiking import fit_reservoir, one_step_error
    z = lambda a: torch.as_tensor((np.asarray(a) - task["train_mean"]) / task["train_std"])
    res_seed = data["seeds"]["spiking reservoir"]["seeds"][0]
    res = fit_reservoir(z(task["train"]), seed=res_seed)
    u = z(task["test"])
    err = one_step_error(res.predict(u).double(), u, res.washout)
    row = data["architectures"]["spiking reservoir"]
    assert err == pytest.approx(row["one_step_error"], rel=1e-9)
    from lib import spiking
    if not hasattr(spiking, "fit_closed_loop_reservoir"):
        pytest.skip("lib.spiking has no closed-loop reservoir")
    cl = spiking.fit_closed_loop_reservoir(z(task["train"]), seed=res_seed)
    vpt = float(np.median(spiking.reservoir_valid_prediction_times(cl, u)))
    assert vpt == pytest.approx(row["valid_prediction_time"], rel=1e-9)
