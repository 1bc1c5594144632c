"""Figures of 05_synthesis's controlled comparison (a build step; every number from lib).

    python -m tools.synthesis_metrics [--out source/05_synthesis/data/architecture_metrics.json]
                                      [--rows ctrnn esn ...]

Writes the public JSON that the 05 notebook reads (students do not have lib)::

    {"architectures": {row: {metric: value}},     # the headline value of every row
     "seeds": {row: {"seeds": [...], "headline_seed": s, "summary": {metric: {mean, std,
               min, max, values}}}},               # the spread over >= 3 seeds
     "reference": {metric: value},                 # Lorenz against Lorenz (04's floor)
     "training": {row: how it was trained},
     "notes": {metric: how it is measured}}

Rows (``ROWS``, in this order): the shipped CT-RNN and E/I network (the checkpoints 04 and
05 ship, seed 2026, their numbers are the ones 04 prints) plus two more seeds trained here
with the same recipe; the same CT-RNN with only its readout fitted; the E/I network without
Dale's law and the balanced E/I network, each trained as the E/I network; an echo state
network of the spiking reservoir's size; the spiking reservoir (03's open-loop one-step
error, closed-loop figures of ``lib.spiking.fit_closed_loop_reservoir``); the baselines.
Rate networks are measured by ``lib.comparison.rate_model_metrics`` (one protocol).

``--rows`` recomputes only the named rows (keys of ``ROWS``, or ``reference``) and keeps
the others from the existing file.  The whole script needs about 9 minutes of one torch
thread on a quiet machine (measured: 5 min for the E/I-type rows and 4 min for all the
others, as two ``--rows`` runs side by side on two cores); most of it is the 8 trainings of
E/I-type networks (24-32 s each) and the free runs.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lib.comparison import N_BINS, sign_consistency_any  # noqa: E402

SEEDS = (2026, 2027, 2028)          # the first is the shipped checkpoints' seed (the headline)
RESERVOIR_SEEDS = (1, 2, 3)         # weight seeds of the spiking reservoir (1: 03's network)
OUT = os.path.join(ROOT, "source", "05_synthesis", "data", "architecture_metrics.json")


__all__ = ["sign_consistency_any", "measure", "main"]


def _checkpoint_dir(root=ROOT):
    for folder in ("05_synthesis", "04_dynamical_analysis"):
        c = os.path.join(root, "source", folder, "checkpoints")
        if os.path.exists(os.path.join(c, "ctrnn.pt")) and os.path.exists(os.path.join(c, "eirnn.pt")):
            return c
    return None


def _load(kind, path):
    from lib.ctrnn import CTRNN
    from lib.ei import EIRNN
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = (CTRNN if kind == "ct" else EIRNN)(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"], strict=False)
    return model, float(ckpt["train_seconds"])


def _rate_row(train, task, shipped=None, readout_only=False, balance=False):
    """Per-seed metrics of a rate network: ``train(task, seed) -> (model, info)``; the
    first seed loaded from the checkpoint ``shipped`` = (kind, path) when given."""
    from lib.comparison import rate_model_metrics, trained_balance_index
    per_seed = []
    for seed in SEEDS:
        if shipped is not None and seed == SEEDS[0]:
            model, seconds = _load(*shipped)
        else:
            model, info = train(task, seed=seed)
            seconds = info["seconds"]
        row = rate_model_metrics(model, task, seconds, readout_only=readout_only)
        if balance:
            row["balance_index"] = trained_balance_index(model.float(), task)
        per_seed.append(row)
        print(f"   seed {seed}: VPT {row['valid_prediction_time']:.2f}, "
              f"lambda_1 {row['max_lyapunov']:.3f}, {seconds:.1f} s", flush=True)
    return per_seed, list(SEEDS)


def _z(task, a):
    return (np.asarray(a) - task["train_mean"]) / task["train_std"]


def _spiking_row(task):
    """03's reservoir (one-step error, as 03 prints it) and, from the same network and
    input weights, the readout fitted for closed loop (VPT, free-run measures)."""
    from lib.comparison import attractor_measures, standardised_trajectory
    from lib.spiking import fit_reservoir, one_step_error
    try:
        from lib.spiking import (fit_closed_loop_reservoir, reservoir_free_run,
                                 reservoir_valid_prediction_times)
    except ImportError:
        fit_closed_loop_reservoir = None
    z = standardised_trajectory(task)
    u_train, u_test = torch.as_tensor(_z(task, task["train"])), torch.as_tensor(_z(task, task["test"]))
    per_seed = []
    for seed in RESERVOIR_SEEDS:
        t0 = time.perf_counter()
        res = fit_reservoir(u_train, seed=seed)
        seconds = time.perf_counter() - t0
        row = {"one_step_error": one_step_error(res.predict(u_test).double(), u_test, res.washout),
               "max_lyapunov": float("nan"),
               "n_params": int(res.W_out.shape[0] * 3 + 3), "train_seconds": seconds,
               "sign_consistency": sign_consistency_any(res.W_rec)}
        if fit_closed_loop_reservoir is not None:
            t0 = time.perf_counter()
            cl = fit_closed_loop_reservoir(u_train, seed=seed)
            row["closed_loop_train_seconds"] = time.perf_counter() - t0
            row["closed_loop_n_params"] = int(cl.W_out.numel() + cl.b_out.numel())
            row["valid_prediction_time"] = float(np.median(reservoir_valid_prediction_times(cl, u_test)))
            row.update(attractor_measures(z, reservoir_free_run(cl, z, len(z))))
        else:
            row.update(valid_prediction_time=float("nan"), state_space_divergence=float("nan"),
                       power_spectrum_distance=float("nan"))
        per_seed.append(row)
        print(f"   seed {seed}: one-step {row['one_step_error']:.4f}, "
              f"VPT {row['valid_prediction_time']:.2f}", flush=True)
    return per_seed, list(RESERVOIR_SEEDS)


def _map_max_lyapunov(predict, hist, dt):
    """Largest exponent of a fitted map on its last ``k`` states (k, 3), with the rate
    networks' QR protocol (``lib.analysis.lyapunov_spectrum``, autograd Jacobian) on the
    stacked state (3k,)."""
    from lib.analysis import lyapunov_spectrum
    from lib.comparison import N_LYAP, N_LYAP_TRANSIENT
    k = hist.shape[0]

    def step(s):
        h = s.reshape(k, 3)
        return torch.cat([h[1:], predict(h)[-1:]]).reshape(-1)
    lam = lyapunov_spectrum(step, hist.reshape(-1), N_LYAP, dt, n_transient=N_LYAP_TRANSIENT)
    return float(lam[0])


def _baseline_rows(task, n_starts=20, n_warmup=50, horizon=600):
    """The strongest simple predictors (no network), fitted on the training split as in 03:
    one-step error on the test split (03's protocol: washout 100); run in closed loop from
    the starts of ``lib.ctrnn.valid_prediction_times``, the median valid prediction time,
    and from the trajectory's sample ``WARMUP`` a free run for the attractor measures (the
    two fitted maps only: persistence never moves)."""
    from lib.comparison import WARMUP, attractor_measures, standardised_trajectory
    from lib.ctrnn import DATA_DT, valid_prediction_time
    from lib.spiking import RESERVOIR, fit_baselines, one_step_error
    t0 = time.perf_counter()
    models = fit_baselines(torch.as_tensor(_z(task, task["train"])))
    seconds = time.perf_counter() - t0
    u = torch.as_tensor(_z(task, task["test"]))
    z = torch.as_tensor(standardised_trajectory(task))
    lags = {"persistence": 1, "linear AR(3)": 3, "quadratic ridge": 1}
    n_par = {"persistence": 0, "linear AR(3)": 3 * 9 + 3, "quadratic ridge": 3 * 9 + 3}
    starts = np.linspace(n_warmup, len(u) - horizon - 1, n_starts).astype(int)
    ones = torch.ones(3, dtype=torch.float64)

    def run(predict, hist, n):
        k, gen = len(hist), []
        for _ in range(n):
            nxt = predict(hist)[-1]
            gen.append(nxt)
            hist = torch.cat([hist[1:], nxt[None]]) if k > 1 else nxt[None]
            if not torch.isfinite(nxt).all():
                break
        return torch.stack(gen + [gen[-1]] * (n - len(gen)))

    out = {}
    for name, k in lags.items():
        predict = models[name]
        row = {"one_step_error": one_step_error(predict(u), u, RESERVOIR["washout"]),
               "n_params": n_par[name], "train_seconds": seconds if n_par[name] else 0.0}
        if name != "persistence":
            vpts = [valid_prediction_time(run(predict, u[s0 - k + 1:s0 + 1].clone(), horizon),
                                          u[s0 + 1:s0 + 1 + horizon], ones, DATA_DT)
                    for s0 in starts]
            row["valid_prediction_time"] = float(np.median(vpts))
            row["max_lyapunov"] = _map_max_lyapunov(predict, z[WARMUP - k:WARMUP].clone(),
                                                    float(task["dt"]))
            row.update(attractor_measures(z.numpy(), run(predict, z[WARMUP - k:WARMUP].clone(),
                                                         len(z)).numpy()))
        out[f"{name} (baseline)"] = row
    return out


def _trainers():
    from lib.comparison import train_esn, train_unconstrained_eirnn
    from lib.ctrnn import train_ctrnn
    from lib.ei import train_eirnn
    try:
        from lib.ei import train_balanced_eirnn
    except ImportError:
        train_balanced_eirnn = None
    return train_ctrnn, train_eirnn, train_unconstrained_eirnn, train_balanced_eirnn, train_esn


# row key -> (table name, how it was trained)
ROWS = {
    "ctrnn": ("CT-RNN",
              "128 tanh units: readout by least squares, then every weight by BPTT through 30-step "
              "rollouts with generalized teacher forcing (alpha 1 -> 0.1), 600 Adam steps, readout "
              "refitted by least squares (lib.ctrnn.train_ctrnn)"),
    "ctrnn_readout": ("CT-RNN, readout only",
                      "the CT-RNN of the same seed with no gradient step: its random initialisation "
                      "(spectral radius 0.5) kept fixed, only the readout fitted by least squares "
                      "(a 128-unit echo state network)"),
    "eirnn": ("E/I rate RNN",
              "128 E + 32 I relu units under Dale's law: every weight by BPTT, 1500 Adam steps on "
              "25-step rollouts (teacher forcing annealed to free running) plus a one-step loss "
              "(lib.ei.train_eirnn)"),
    "eirnn_nodale": ("E/I rate RNN without Dale",
                     "the E/I network of the same seed (same initial signed matrix, units, readout "
                     "of the E units) with the sign constraint removed, trained identically "
                     "(lib.ei.train_rollout, same schedule and seed)"),
    "eirnn_balanced": ("balanced E/I rate RNN",
                       "the E/I network trained identically, with lib.ei.balance_penalty (the "
                       "balance index's differentiable surrogate on the teacher-forced steps) added "
                       "to the loss with weight {balance_weight}, initial recurrent gain {balance_g} "
                       "(lib.ei.train_balanced_eirnn)"),
    "esn": ("echo state network",
            "1000 tanh units (the CT-RNN's update and random initialisation, spectral radius 0.5), "
            "fixed; only the readout fitted by least squares (lib.comparison.train_esn): the rate "
            "counterpart of the 1000-neuron spiking reservoir"),
    "spiking": ("spiking reservoir",
                "1000 LIF neurons, sparse balanced E/I weights (fixed, seeded); only a linear "
                "readout fitted by ridge regression. One-step error: 03's open-loop readout; "
                "valid prediction time and free-run measures: the same network with a readout "
                "fitted for closed loop (lib.spiking.fit_closed_loop_reservoir: {closed_loop})"),
    "baselines": (None, "no network: least-squares fits on the training split (03)"),
}


def _recipe():
    """Values quoted in the training descriptions, read from lib (so they cannot drift)."""
    out = {"balance_weight": "n/a", "balance_g": "n/a", "closed_loop": "n/a"}
    try:
        from lib.ei import BALANCED_G, BALANCED_WEIGHT
        out.update(balance_weight=BALANCED_WEIGHT, balance_g=BALANCED_G)
    except ImportError:
        pass
    try:
        from lib.spiking import CLOSED_LOOP
        out["closed_loop"] = ", ".join(f"{k} {v}" for k, v in CLOSED_LOOP.items())
    except ImportError:
        pass
    return out


def _row(key, task):
    train_ctrnn, train_eirnn, train_nodale, train_balanced, train_esn = _trainers()
    ck = _checkpoint_dir()
    if key == "ctrnn":
        return _rate_row(train_ctrnn, task, shipped=("ct", os.path.join(ck, "ctrnn.pt")))
    if key == "ctrnn_readout":
        return _rate_row(lambda t, seed: train_esn(t, seed=seed, n_hidden=128), task,
                         readout_only=True)
    if key == "eirnn":
        return _rate_row(train_eirnn, task, shipped=("ei", os.path.join(ck, "eirnn.pt")),
                         balance=True)
    if key == "eirnn_nodale":
        return _rate_row(train_nodale, task, balance=True)
    if key == "eirnn_balanced":
        if train_balanced is None:
            return [{} for _ in SEEDS], list(SEEDS)
        return _rate_row(train_balanced, task, balance=True)
    if key == "esn":
        return _rate_row(train_esn, task, readout_only=True)
    if key == "spiking":
        return _spiking_row(task)
    raise KeyError(key)


NOTES = {
    "one_step_error": "per-step RMS error over the 3 standardised components, averaged over the test split (rate networks: after 50 warm-up samples; reservoir and baselines: 03's washout of 100)",
    "valid_prediction_time": "median over 20 closed-loop starts on the test split, Lyapunov times (threshold 0.5); the spiking reservoir is teacher-forced on 200 samples before each start instead of 50",
    "max_lyapunov": "largest exponent of the closed-loop map by the QR method, 5000 steps after 500, per time unit (Lorenz: 0.9056); networks above 200 units track the 3 leading directions only (same leading value); not defined for the spiking reservoir (a discontinuous map)",
    "state_space_divergence": f"a free run as long as the task's trajectory (10,000 samples) against it, {N_BINS} bins per dimension, natural log",
    "power_spectrum_distance": "the same free run: Hellinger distance of smoothed power spectra, mean over the 3 components",
    "n_params": "trained parameters (reservoirs: the readout only)",
    "train_seconds": "wall-clock training time on one CPU thread of a quiet two-core machine",
    "sign_consistency": "fraction of off-diagonal recurrent weights whose sign agrees with their column's sum (1 under Dale's law)",
    "balance_index": "E/I-type networks: mean |exc + inh| / exc of every unit's input on the test input, teacher forced (lib.ei.trained_balance; 0 = perfect cancellation); rate units of either sign (tanh) have no such split",
    "seeds": "trained and random rows: 3 seeds (rate networks 2026-2028, 2026 = the shipped checkpoints; spiking reservoir: weight seeds 1-3, 1 = 03's network); the table shows the first seed, 'seeds' holds every value with mean, std, min and max",
    "reference": "Lorenz against Lorenz: a second trajectory of the same length from (-3, 2, 30) (04's floor); the largest exponent is Lorenz's own",
}


def measure(rows=None, previous=None):
    """Compute the rows named in ``rows`` (default: all) and the reference; others are
    copied from ``previous`` (a dict in this script's output format)."""
    from lib.comparison import lorenz_reference, seed_summary
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    task = lorenz_task()
    wanted = set(ROWS) | {"reference"} if rows is None else set(rows)
    prev = previous or {"architectures": {}, "seeds": {}, "reference": {}}
    archs, seeds, training = {}, {}, {}
    recipe = _recipe()
    for key, (name, how) in ROWS.items():
        how = how.format(**recipe)
        if key == "baselines":
            if key in wanted:
                print("baselines", flush=True)
                base = _baseline_rows(task)
            else:
                base = {k: v for k, v in prev["architectures"].items() if k.endswith("(baseline)")}
            archs.update(base)
            for k in base:
                training[k] = how
            continue
        training[name] = how
        if key in wanted:
            print(name, flush=True)
            t0 = time.perf_counter()
            per_seed, used = _row(key, task)
            archs[name] = per_seed[0]
            seeds[name] = {"seeds": used, "headline_seed": used[0],
                           "summary": seed_summary(per_seed) if per_seed[0] else {}}
            print(f"   {time.perf_counter() - t0:.0f} s", flush=True)
        elif name in prev["architectures"]:
            archs[name] = prev["architectures"][name]
            seeds[name] = prev.get("seeds", {}).get(name, {})
    reference = lorenz_reference(task) if "reference" in wanted else prev.get("reference", {})
    return {"architectures": archs, "seeds": seeds, "reference": reference,
            "training": training, "notes": NOTES}


def _clean(v):
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return None if isinstance(v, float) and math.isnan(v) else v


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--rows", nargs="*", choices=list(ROWS) + ["reference"],
                    help="recompute only these rows (the others are kept from --out)")
    args = ap.parse_args(argv)
    previous = None
    if args.rows is not None and os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            previous = json.load(f)
    t0 = time.perf_counter()
    data = _clean(measure(args.rows, previous))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(json.dumps(data["architectures"], indent=1))
    print(f"written {args.out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
