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
05 ship, ``tools.checkpoints.SHIPPED_SEED``, their numbers are the ones 04 prints) plus two
more seeds trained here
with the same recipe; the same CT-RNN with only its readout fitted; 01's CT-RNN as a flow
(trained by 01's recipe for seeds 0-2, measured by ``lib.comparison.flow_model_metrics``);
the E/I network without
Dale's law and the balanced E/I network, each trained as the E/I network; an echo state
network of the spiking reservoir's size; the spiking reservoir (03's open-loop one-step
error, closed-loop figures of ``lib.spiking.fit_closed_loop_reservoir``); the baselines.
Rate networks are measured by ``lib.comparison.rate_model_metrics`` (one protocol).

``--rows`` recomputes only the named rows (keys of ``ROWS``, or ``reference``) and keeps
the others from the existing file.  The whole script needs about 14 minutes of one torch
thread on a quiet machine (measured: 5 min for the E/I-type rows, 4 min for the other
networks and baselines, 5 min for the flow's three seeds, each about 45 s of training and
a minute of measurement); most of it is the trainings and the free runs.
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

from tools.checkpoints import SHIPPED_SEED  # noqa: E402
SEEDS = (SHIPPED_SEED, SHIPPED_SEED + 1, SHIPPED_SEED + 2)   # the first: the shipped checkpoints (the headline)
RESERVOIR_SEEDS = (1, 2, 3)         # weight seeds of the spiking reservoir (1: 03's network)
FLOW_SEEDS = (0, 1, 2)              # seeds of 01's flow (0: the one 01 trains)
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


def _flow_row(task):
    """01's CT-RNN as a flow, trained by 01's recipe (``lib.flow.train_flow_ctrnn``) for each
    of ``FLOW_SEEDS`` and measured by ``lib.comparison.flow_model_metrics``."""
    from lib.comparison import flow_model_metrics
    from lib.flow import train_flow_ctrnn
    per_seed = []
    for seed in FLOW_SEEDS:
        net, _, info = train_flow_ctrnn(task, seed=seed)
        row = flow_model_metrics(net, task, info["seconds"])
        per_seed.append(row)
        print(f"   seed {seed}: VPT {row['valid_prediction_time']:.2f}, "
              f"lambda_1 {row['max_lyapunov']:.3f}, {info['seconds']:.1f} s", flush=True)
    return per_seed, list(FLOW_SEEDS)


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
        row.update(_reservoir_regime(res, u_test))
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


def _reservoir_regime(res, u, n_samples=2000):
    """The regime of the spiking reservoir under the Lorenz drive: over ``n_samples``
    samples of ``u`` after the washout, the mean rate (Hz), the mean CV of the inter-spike
    intervals, the fraction of silent neurons and the Fano factor of the population-mean
    spike count in 5 ms bins, as 03 measures it (1/N for independent Poisson neurons at
    constant rates, 1 when all fire together; larger than 1/N through synchrony or a common
    drive that modulates every rate)."""
    from lib.spiking import NEURON, RESERVOIR, cv_isi, firing_rates, simulate_reservoir
    washout = RESERVOIR["washout"]
    _, spikes = simulate_reservoir(u[:washout + n_samples], res.W_rec, res.W_in, return_spikes=True)
    spikes = spikes[washout * RESERVOIR["steps_per_sample"]:]
    rates = firing_rates(spikes, NEURON["dt"])
    n_bin = int(round(0.005 / NEURON["dt"]))
    counts = spikes[:len(spikes) // n_bin * n_bin].reshape(-1, n_bin, spikes.shape[1]).sum(1).mean(1)
    return {"mean_rate_hz": float(rates.mean()), "cv_isi": float(cv_isi(spikes, NEURON["dt"])),
            "silent_fraction": float((rates == 0).double().mean()),
            "population_fano_5ms": float(counts.double().var() / counts.double().mean())}


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


def _free_run(predict, hist, n):
    """``n`` closed-loop outputs (n, 3) of a fitted map from its history ``hist`` (k, 3);
    a run that stops being finite repeats its last value."""
    k, gen = len(hist), []
    for _ in range(n):
        nxt = predict(hist)[-1]
        gen.append(nxt)
        hist = torch.cat([hist[1:], nxt[None]]) if k > 1 else nxt[None]
        if not torch.isfinite(nxt).all():
            break
    return torch.stack(gen + [gen[-1]] * (n - len(gen)))


def _baseline_rows(task):
    """The simple predictors (no network), fitted on the training split: 03's three
    (persistence, AR(3), quadratic ridge) and the strongest of ``lib.baselines`` (AR of the
    validated order, polynomial ridge of degree 3 and 4, and of degree 2 on two lags).
    One-step error on the test split (03's protocol: washout 100); run in closed loop from
    the starts of ``lib.evaluation.protocol_starts``, the median valid prediction time with
    its quartiles; and from each start state of the rate networks' protocol
    (``lib.comparison.START_OFFSETS``: the last states of the same warm-up window) the
    largest exponent and a free run for the attractor measures (the fitted maps only:
    persistence never moves)."""
    from lib import evaluation
    from lib.baselines import strongest_baselines
    from lib.comparison import (START_OFFSETS, WARMUP, attractor_measures,
                                standardised_trajectory, summarise_starts)
    from lib.spiking import RESERVOIR, fit_baselines, one_step_error
    t0 = time.perf_counter()
    u_train = torch.as_tensor(_z(task, task["train"]))
    simple = fit_baselines(u_train)
    seconds = time.perf_counter() - t0
    models = {"persistence": (simple["persistence"], 0, 1, 0.0),
              "linear AR(3)": (simple["linear AR(3)"], 3 * 9 + 3, 3, seconds),
              "quadratic ridge": (simple["quadratic ridge"], 3 * 9 + 3, 1, seconds)}
    for name, (predict, n_params, k) in strongest_baselines(
            u_train, torch.as_tensor(_z(task, task["val"]))).items():
        models[name] = (predict, n_params, k, float("nan"))
    u = torch.as_tensor(_z(task, task["test"]))
    z = torch.as_tensor(standardised_trajectory(task))
    starts = evaluation.protocol_starts(len(u))

    out = {}
    for name, (predict, n_par, k, secs) in models.items():
        row = {"one_step_error": one_step_error(predict(u), u, RESERVOIR["washout"]),
               "n_params": n_par, "train_seconds": secs}
        if name != "persistence":
            pred = torch.stack([_free_run(predict, u[s0 - k + 1:s0 + 1].clone(), evaluation.HORIZON)
                                for s0 in starts], dim=1)
            vpts = evaluation.forecast_vpts(pred, u, starts)
            row["valid_prediction_time"] = float(np.median(vpts))
            row["vpt_quartiles"] = [float(np.percentile(vpts, 25)), float(np.percentile(vpts, 75))]
            per = {"max_lyapunov": [], "state_space_divergence": [], "power_spectrum_distance": []}
            for off in START_OFFSETS:
                hist = z[off + WARMUP - k:off + WARMUP].clone()
                per["max_lyapunov"].append(_map_max_lyapunov(predict, hist, float(task["dt"])))
                for key, value in attractor_measures(z.numpy(), _free_run(predict, hist, len(z)).numpy()).items():
                    per[key].append(value)
            row.update(summarise_starts(per))
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
    "flow": ("CT-RNN as a flow",
             "01's section 10: {flow_units} tanh units, tau {flow_tau} time units, integrated by RK4 "
             "and closed on the readout (an autonomous flow); readout by ridge on states driven by "
             "the data, then every weight by Adam with gradients from odeint_adjoint, {flow_iter} "
             "steps on {flow_window}-sample closed-loop windows (lib.flow.train_flow_ctrnn; seeds "
             "0-2, 0 = 01's network)"),
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
                "1000 LIF neurons, sparse E/I weights under Dale's law scaled for balance (fixed, "
                "seeded; its regime under the Lorenz drive is measured: mean_rate_hz, cv_isi, "
                "population_fano_5ms); only a linear "
                "readout fitted by ridge regression. One-step error: 03's open-loop readout; "
                "valid prediction time and free-run measures: the same network with a readout "
                "fitted for closed loop (lib.spiking.fit_closed_loop_reservoir: {closed_loop})"),
    "baselines": (None, "no network: ridge regressions (alpha 1e-6) fitted on the training split: 03's three "
                        "(persistence, AR(3), quadratic ridge) and lib.baselines' strongest (AR of the "
                        "order the validation split picks, polynomial ridge of degree 3 and 4 on the "
                        "state, of degree 2 on the last two states)"),
}


def _recipe():
    """Values quoted in the training descriptions, read from lib (so they cannot drift)."""
    from lib import flow
    out = {"balance_weight": "n/a", "balance_g": "n/a", "closed_loop": "n/a",
           "flow_units": flow.N_HIDDEN, "flow_tau": flow.TAU, "flow_iter": flow.N_ITER,
           "flow_window": flow.WINDOW}
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
    if key == "flow":
        return _flow_row(task)
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
    "one_step_error": "per-step RMS error over the 3 standardised components, averaged over the test split (rate networks: after 50 warm-up samples; the flow: one sample of its closed loop from each state driven by the data; reservoir and baselines: 03's washout of 100)",
    "valid_prediction_time": "median over 20 closed-loop starts on the test split (vpt_quartiles: the 25th and 75th percentiles over the starts), Lyapunov times (threshold 0.5); the spiking reservoir is teacher-forced on 200 samples before each start instead of 50",
    "max_lyapunov": "largest exponent of the closed-loop map by the QR method, 2000 steps after 500, per time unit (Lorenz: 0.9056), from each of 5 start states (the network driven by 500 samples of the trajectory from samples 0, 1000, ..., 4000): the median, with every start's value in max_lyapunov_starts (their range is the resolution for one model); networks above 200 units track the 3 leading directions only (same leading value); the flow: the map of one sample of its RK4 integration, 3 leading directions, which is the flow's exponent; not defined for the spiking reservoir (a discontinuous map)",
    "state_space_divergence": f"a free run as long as the task's trajectory (10,000 samples) from each of the 5 start states against the trajectory, {N_BINS} bins per dimension, natural log: the median, per start in state_space_divergence_starts",
    "power_spectrum_distance": "the same free runs: Hellinger distance of smoothed power spectra, mean over the 3 components: the median, per start in power_spectrum_distance_starts",
    "n_params": "trained parameters (reservoirs: the readout only)",
    "train_seconds": "wall-clock training time on one CPU thread of the machine that built the course (regenerated by every build)",
    "sign_consistency": "fraction of off-diagonal recurrent weights whose sign agrees with their column's sum (1 under Dale's law)",
    "balance_index": "E/I-type networks, on the test input, teacher forced: per unit |time mean of the net input| / time mean of the recurrent excitation, averaged over units (lib.ei.trained_balance; 0 = excitation cancelled on average, 1 = no cancellation); the signed feed-forward drive counts in the net input but neither as excitation nor inhibition; rate units of either sign (tanh) have no such split",
    "seeds": "trained and random rows: 3 seeds (rate networks: the shipped checkpoints' seed and the next two; spiking reservoir: weight seeds 1-3, 1 = 03's network); the table shows the first seed, 'seeds' holds every value with mean, std, min and max",
    "reference": "Lorenz against Lorenz (04's floor): 20 trajectories of the same length (the first from (-3, 2, 30), 19 from seeded initial conditions around the attractor) against the task's: the median and, in <measure>_starts, the band; a network inside the band cannot be told from Lorenz by that measure. The largest exponent is Lorenz's own",
}


def _measure_row(key):
    """One row, in its own process (:func:`measure` with ``jobs > 1``)."""
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    task = lorenz_task()
    t0 = time.perf_counter()
    if key == "baselines":
        result = _baseline_rows(task)
    elif key == "reference":
        from lib.comparison import lorenz_reference
        result = lorenz_reference(task)
    else:
        result = _row(key, task)
    print(f"{key}: {time.perf_counter() - t0:.0f} s", flush=True)
    return key, result


def measure(rows=None, previous=None, jobs=1):
    """Compute the rows named in ``rows`` (default: all) and the reference; others are
    copied from ``previous`` (a dict in this script's output format).  ``jobs`` rows are
    computed side by side, each in its own process on one torch thread (the numbers do not
    depend on ``jobs``)."""
    from lib.comparison import seed_summary
    wanted = set(ROWS) | {"reference"} if rows is None else set(rows)
    prev = previous or {"architectures": {}, "seeds": {}, "reference": {}}
    order = [k for k in list(ROWS) + ["reference"] if k in wanted]
    if jobs > 1:
        import concurrent.futures
        import multiprocessing
        with concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            computed = dict(pool.map(_measure_row, order))
    else:
        computed = dict(_measure_row(k) for k in order)
    archs, seeds, training = {}, {}, {}
    recipe = _recipe()
    for key, (name, how) in ROWS.items():
        how = how.format(**recipe)
        if key == "baselines":
            base = computed[key] if key in computed else {
                k: v for k, v in prev["architectures"].items() if k.endswith("(baseline)")}
            archs.update(base)
            for k in base:
                training[k] = how
            continue
        training[name] = how
        if key in computed:
            per_seed, used = computed[key]
            archs[name] = per_seed[0]
            seeds[name] = {"seeds": used, "headline_seed": used[0],
                           "summary": seed_summary(per_seed) if per_seed[0] else {}}
        elif name in prev["architectures"]:
            archs[name] = prev["architectures"][name]
            seeds[name] = prev.get("seeds", {}).get(name, {})
    reference = computed.get("reference", prev.get("reference", {}))
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
    ap.add_argument("--jobs", type=int, default=1,
                    help="rows computed side by side (one process and torch thread each)")
    args = ap.parse_args(argv)
    previous = None
    if args.rows is not None and os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            previous = json.load(f)
    t0 = time.perf_counter()
    data = _clean(measure(args.rows, previous, args.jobs))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(json.dumps(data["architectures"], indent=1))
    print(f"written {args.out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
