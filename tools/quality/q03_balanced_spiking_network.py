"""Quality benchmark of 03_balanced_spiking_network (issue 5).

    python -m tools.quality.q03_balanced_spiking_network

Figures: the balanced network's regime (mean rate, mean CV of ISI, silent fraction,
synchrony), the simulation speed (1000 neurons, 10,000 steps, one thread), and the
reservoir's one-step error against persistence and a ridge readout of the raw input, on the
task's test split and on held-out data like the grader's.  Goals: rate 2-30 Hz, CV 0.8-1.2,
< 5 % silent, <= 10 s, reservoir >= 4x better than persistence.
"""

import time

import numpy as np
import torch

from lib import spiking as S
from lib.dynamics import lorenz_rhs, simulate
from lib.task import lorenz_task

HELD_OUT_X0 = (-6.0, 3.0, 31.0)


def _network_regime(T=3000, skip=500):
    W = S.ai_network_weights(seed=1)
    gen = torch.Generator().manual_seed(2)
    i_ext = S.noise_drive(T, W.shape[0], S.AI_DRIVE["mu"], S.AI_DRIVE["noise"], gen)
    spikes = S.run_lif_network(i_ext, W)[skip:]
    rates = S.firing_rates(spikes, S.NEURON["dt"])
    counts = spikes.reshape(-1, 5, W.shape[0]).sum(1).mean(1)
    return {"ai_mean_rate_hz": float(rates.mean()),
            "ai_mean_cv_isi": float(S.cv_isi(spikes, S.NEURON["dt"])),
            "ai_silent_fraction": float((rates == 0).double().mean()),
            "ai_population_fano_5ms": float(counts.var() / counts.mean())}


def _speed(n_steps=10_000):
    W = S.ai_network_weights(seed=1)
    gen = torch.Generator().manual_seed(3)
    i_ext = S.noise_drive(n_steps, W.shape[0], 0.0, 3.0, gen)
    t0 = time.perf_counter()
    S.run_lif_network(i_ext, W)
    return {"seconds_1000_neurons_10000_steps": time.perf_counter() - t0}


def _errors(pred, u, washout):
    return S.one_step_error(pred, u, washout)


def _reservoir():
    task = lorenz_task()
    std = lambda a: (a - task["train_mean"]) / task["train_std"]  # noqa: E731
    u = torch.tensor(std(task["traj"]), dtype=torch.float32)
    n_train, n_val = len(task["train"]), len(task["val"])
    washout = S.RESERVOIR["washout"]
    t0 = time.perf_counter()
    res = S.fit_reservoir(u[:n_train])
    fit_seconds = time.perf_counter() - t0
    u_test = u[n_train + n_val:]
    n_transient = int(round(10.0 / float(task["dt"])))
    held = simulate(lorenz_rhs, np.array(HELD_OUT_X0), float(task["dt"]), n_transient + 2999)
    u_held = torch.tensor(std(held[n_transient:]), dtype=torch.float32)
    W_lin, b_lin = S.ridge_regression(u[:n_train - 1].double(), u[1:n_train].double(), 1e-6)
    out = {"reservoir_fit_seconds": fit_seconds}
    for name, data in (("test", u_test), ("held_out", u_held)):
        t0 = time.perf_counter()
        pred = res.predict(data)
        out[f"{name}_predict_seconds"] = time.perf_counter() - t0
        err = _errors(pred, data, washout)
        pers = _errors(data, data, washout)
        lin = _errors(data.double() @ W_lin + b_lin, data, washout)
        out.update({f"{name}_reservoir_error": err, f"{name}_persistence_error": pers,
                    f"{name}_raw_ridge_error": lin,
                    f"{name}_persistence_over_reservoir": pers / err,
                    f"{name}_raw_ridge_over_reservoir": lin / err})
    return out


def measure():
    torch.set_num_threads(1)
    figures = {}
    figures.update(_network_regime())
    figures.update(_speed())
    figures.update(_reservoir())
    return figures


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key:40s} {value:.4g}")
