"""Figures of the three architectures for 05_synthesis (a build step; uses lib).

    python -m tools.synthesis_metrics [--out source/05_synthesis/data/architecture_metrics.json]

Writes a small public JSON ``{"architectures": {name: {metric: value}}, "notes": {...}}``
that the 05 notebook reads (students do not have lib).  The CT-RNN and the E/I network are
the checkpoints shipped with 04/05 (``checkpoints/ctrnn.pt``, ``eirnn.pt``); the spiking
reservoir is fitted here with ``lib.spiking.fit_reservoir``.  All errors are in
standardised units on the test split; the valid prediction time is the median over 20
closed-loop starts (Lyapunov times); the largest Lyapunov exponent comes from the QR
method on the closed-loop map (per time unit); the state-space divergence compares 10,000
free-running samples with the task's trajectory (10 bins per dimension).
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

N_BINS = 10


def _closed_loop_jacobian(model, h, kind):
    W_out = model.readout.weight.detach()
    if kind == "ei":
        W_out = torch.cat([W_out, torch.zeros(W_out.shape[0], model.n_inh, dtype=W_out.dtype)], 1)
    with torch.no_grad():
        x = model.readout(h if kind == "ct" else h[:model.n_exc])
        if kind == "ct":
            a = h @ model.W_rec.T + x @ model.W_in.T + model.b
            slope = 1 - torch.tanh(a) ** 2
            inv_tau = torch.full_like(h, 1 / model.tau)
        else:
            a = h @ model.W_rec.T + x @ model.W_in.T + model.b
            slope = (a > 0).to(a.dtype)
            inv_tau = 1 / model.tau(h)
        eye = torch.eye(h.shape[0], dtype=h.dtype)
        W = model.W_rec + model.W_in @ W_out
        return eye + model.dt * inv_tau[:, None] * (-eye + slope[:, None] * W)


def _closed_loop_step(model, kind):
    """One closed-loop step of a state (N,), computed exactly as 04's notebook does (same
    shapes, same operations), so that 04 and 05 print the same exponent and divergence."""
    def step(h):
        with torch.no_grad():
            return model.step(h, model.readout(h if kind == "ct" else h[:model.n_exc]))
    return step


def sign_consistency_any(W):
    """Fraction of off-diagonal weights whose sign agrees with the sign of their column's
    sum (the best Dale labelling of each presynaptic neuron; 1.0 under Dale's law)."""
    W = torch.as_tensor(W).detach().double()
    col = torch.sign(W.sum(dim=0))
    col[col == 0] = 1
    off = ~torch.eye(W.shape[0], dtype=torch.bool)
    ok = (W * col[None, :]) >= 0
    return float(ok[off].double().mean())


def _generate(model, kind, z, n, warmup=500):
    with torch.no_grad():
        _, hs = model(torch.as_tensor(z[:warmup], dtype=torch.float64)[:, None])
        h, out = hs[-1, 0], []
        step = _closed_loop_step(model, kind)
        for _ in range(n):
            h = step(h)
            out.append(model.readout(h if kind == "ct" else h[:model.n_exc]).numpy())
    return np.array(out)


def model_metrics(kind, path, task):
    from lib.analysis import lyapunov_spectrum, state_space_divergence
    from lib.ctrnn import CTRNN, evaluate_model
    from lib.ei import EIRNN, evaluate_eirnn, sign_consistency
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = (CTRNN if kind == "ct" else EIRNN)(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"], strict=False)
    model.eval()
    ev = evaluate_model(model, task, lyapunov=False) if kind == "ct" else evaluate_eirnn(model, task)
    m64 = model.double()
    z = (task["traj"] - task["train_mean"]) / task["train_std"]
    with torch.no_grad():
        _, hs = m64(torch.as_tensor(z[:500], dtype=torch.float64)[:, None])
    lam = lyapunov_spectrum(_closed_loop_step(m64, kind), hs[-1, 0], 5000, float(task["dt"]),
                            n_transient=500,
                            jacobian=lambda h: _closed_loop_jacobian(m64, h, kind))
    gen = _generate(m64, kind, z, len(z))
    ok = np.all(np.isfinite(gen))
    out = {"one_step_error": ev["one_step_error"],
           "valid_prediction_time": ev["vpt_median"],
           "max_lyapunov": float(lam[0]),
           "state_space_divergence": state_space_divergence(z, gen, N_BINS) if ok else float("nan"),
           "n_params": int(sum(p.numel() for p in model.parameters())),
           "sign_consistency": (sign_consistency(model) if kind == "ei"
                                else sign_consistency_any(model.W_rec))}
    for key in ("train_seconds", "seconds"):
        if key in ckpt:
            out["train_seconds"] = float(ckpt[key])
    if "info" in ckpt and isinstance(ckpt["info"], dict) and "seconds" in ckpt["info"]:
        out["train_seconds"] = float(ckpt["info"]["seconds"])
    return out


def reservoir_metrics(task):
    from lib.spiking import fit_reservoir, one_step_error
    z = lambda a: (np.asarray(a) - task["train_mean"]) / task["train_std"]
    t0 = time.perf_counter()
    res = fit_reservoir(z(task["train"]))
    seconds = time.perf_counter() - t0
    u = torch.as_tensor(z(task["test"]))
    pred = res.predict(u).double()
    n_feat = res.W_out.shape[0]
    return {"one_step_error": one_step_error(pred, u, res.washout),  # 03 prints the same
            "n_params": int(n_feat * 3 + 3),
            "train_seconds": seconds,
            "sign_consistency": sign_consistency_any(res.W_rec)}


def baseline_metrics(task, n_starts=20, n_warmup=50, horizon=600):
    """The strongest simple predictors (no network), fitted on the training split as in 03:
    one-step error on the test split (03's protocol: washout 100) and, run in closed loop
    from the starts of ``lib.ctrnn.valid_prediction_times``, the median valid prediction
    time (the two linear and quadratic maps only: persistence never moves)."""
    from lib.ctrnn import DATA_DT, valid_prediction_time
    from lib.spiking import RESERVOIR, fit_baselines, one_step_error
    z = lambda a: torch.as_tensor((np.asarray(a) - task["train_mean"]) / task["train_std"])
    t0 = time.perf_counter()
    models = fit_baselines(z(task["train"]))
    seconds = time.perf_counter() - t0
    u = z(task["test"])
    lags = {"persistence": 1, "linear AR(3)": 3, "quadratic ridge": 1}
    n_par = {"persistence": 0, "linear AR(3)": 3 * 9 + 3, "quadratic ridge": 3 * 9 + 3}
    starts = np.linspace(n_warmup, len(u) - horizon - 1, n_starts).astype(int)
    ones = torch.ones(3, dtype=torch.float64)
    out = {}
    for name, k in lags.items():
        predict = models[name]
        row = {"one_step_error": one_step_error(predict(u), u, RESERVOIR["washout"]),
               "n_params": n_par[name], "train_seconds": seconds if n_par[name] else 0.0}
        if name != "persistence":
            vpts = []
            for s0 in starts:
                hist = u[s0 - k + 1:s0 + 1].clone()         # the last k true states
                gen = []
                for _ in range(horizon):
                    nxt = predict(hist)[-1]
                    gen.append(nxt)
                    hist = torch.cat([hist[1:], nxt[None]])
                    if not torch.isfinite(nxt).all():
                        break
                gen = torch.stack(gen + [gen[-1]] * (horizon - len(gen)))
                vpts.append(valid_prediction_time(gen, u[s0 + 1:s0 + 1 + horizon], ones, DATA_DT))
            row["valid_prediction_time"] = float(np.median(vpts))
        out[f"{name} (baseline)"] = row
    return out


def measure(root=ROOT):
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    task = lorenz_task()
    ck = None
    for folder in ("05_synthesis", "04_dynamical_analysis"):
        c = os.path.join(root, "source", folder, "checkpoints")
        if os.path.exists(os.path.join(c, "ctrnn.pt")) and os.path.exists(os.path.join(c, "eirnn.pt")):
            ck = c
            break
    archs = {}
    if ck is not None:
        archs["CT-RNN"] = model_metrics("ct", os.path.join(ck, "ctrnn.pt"), task)
        archs["E/I rate RNN"] = model_metrics("ei", os.path.join(ck, "eirnn.pt"), task)
    try:
        archs["spiking reservoir"] = reservoir_metrics(task)
    except Exception as e:  # noqa: BLE001 - the table shows NaN for what is missing
        print("reservoir metrics failed:", e, file=sys.stderr)
        archs["spiking reservoir"] = {}
    archs.update(baseline_metrics(task))
    notes = {
        "one_step_error": "mean over the test split of the per-step normalised error (standardised units)",
        "valid_prediction_time": "median over 20 closed-loop starts on the test split, Lyapunov times (threshold 0.5)",
        "max_lyapunov": "largest exponent of the closed-loop map by the QR method, per time unit (Lorenz: 0.9056)",
        "state_space_divergence": f"10,000 free-running samples against the task's trajectory, {N_BINS} bins per dimension",
        "n_params": "trainable parameters (reservoir: readout only)",
        "train_seconds": "wall-clock training time on one CPU thread",
        "sign_consistency": "fraction of off-diagonal recurrent weights whose sign agrees with their column (1 under Dale's law)",
        "missing": "the reservoir is not run in closed loop here, so it has no VPT, exponent or divergence (NaN)",
        "baselines": "no network: persistence x_(t+1) = x_t, a linear autoregression on the last 3 states and a ridge on the current state and its products, fitted on the training split (03); one-step error with 03's washout of 100 samples, valid prediction time of the closed-loop map from the same 20 starts",
    }
    return {"architectures": archs, "notes": notes}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "source", "05_synthesis", "data",
                                                  "architecture_metrics.json"))
    args = ap.parse_args()
    figures = measure()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)

    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v
    data = {"architectures": {k: {m: clean(v) for m, v in d.items()}
                              for k, d in figures["architectures"].items()},
            "notes": figures["notes"]}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    print(json.dumps(data["architectures"], indent=1))


if __name__ == "__main__":
    main()
