"""Quality figures of 04_dynamical_analysis (and the 05 table's inputs).

    python -m tools.quality.q04_dynamical_analysis

* lyapunov_spectrum on Lorenz-63 (RK4, dt = 0.01, from (1, 1, 1), 50,000 steps after
  1,000 transient, exact Jacobian of the RK4 step): the exponents, their errors and the
  time (goals: 0.9056 within 1 %, 0 within 0.02, -14.5723 within 2 %, <= 20 s).
* find_fixed_points on Lorenz from 100 random starts: found / spurious (goal: 3 / 0).
* The shipped CT-RNN (and E/I) checkpoints: largest closed-loop exponent (goal for the
  CT-RNN: within 15 % of 0.9056) and the distance of their fixed points, through the
  readout, from Lorenz's, in % of the attractor's diameter (goal: within 10 %).
"""

import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from lib.task import LAMBDA_1  # noqa: E402


def _lorenz_exponents():
    from lib.analysis import lorenz_rk4_map, lyapunov_spectrum
    step, jac = lorenz_rk4_map(0.01)
    t0 = time.perf_counter()
    lam = lyapunov_spectrum(step, torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64), 50_000,
                            0.01, n_transient=1000, jacobian=jac).numpy()
    return {"lyap_lorenz": [round(float(v), 4) for v in lam],
            "lyap_lorenz_seconds": round(time.perf_counter() - t0, 2),
            "lyap1_rel_error": round(abs(lam[0] - LAMBDA_1) / LAMBDA_1, 5),
            "lyap2_abs_error": round(abs(lam[1]), 5),
            "lyap3_rel_error": round(abs(lam[2] + 14.5723) / 14.5723, 5)}


def _lorenz_fixed_points():
    from lib.analysis import find_fixed_points, lorenz_torch
    from lib.dynamics import lorenz_fixed_points
    g = torch.Generator().manual_seed(1)
    starts = (torch.rand(100, 3, generator=g, dtype=torch.float64) * 2 - 1) \
        * torch.tensor([20.0, 25.0, 25.0], dtype=torch.float64) \
        + torch.tensor([0.0, 0.0, 25.0], dtype=torch.float64)
    t0 = time.perf_counter()
    fps = find_fixed_points(lorenz_torch, starts, q_tol=1e-10).numpy()
    d = np.linalg.norm(fps[:, None] - lorenz_fixed_points()[None], axis=-1)
    found = len(set(d.argmin(axis=1)[d.min(axis=1) < 1e-4].tolist()))
    return {"lorenz_fixed_points_found": found,
            "lorenz_fixed_points_spurious": int((d.min(axis=1) >= 1e-4).sum()),
            "lorenz_fixed_points_seconds": round(time.perf_counter() - t0, 2)}


def _model_figures(kind, path):
    from lib.analysis import find_fixed_points
    from lib.comparison import (closed_loop_jacobian, dynamics_over_starts, median_and_range,
                                standardised_trajectory)
    from lib.ctrnn import CTRNN
    from lib.dynamics import lorenz_fixed_points
    from lib.ei import EIRNN
    from lib.task import lorenz_task
    task = lorenz_task()
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = (CTRNN if kind == "ct" else EIRNN)(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"], strict=False)
    model = model.double().eval()
    z = standardised_trajectory(task)
    # the largest exponent by the shared protocol (04's notebook and 05's table): the
    # median over the five start states
    lam1 = median_and_range(dynamics_over_starts(model, z, model.dt, kind)["max_lyapunov"])[0]
    with torch.no_grad():
        _, hs = model(torch.as_tensor(z[:3000])[:, None])
    out_of = (lambda h: model.readout(h)) if kind == "ct" else \
        (lambda h: model.readout(h[..., :model.n_exc]))

    def F(h):
        x = out_of(h)
        if kind == "ct":
            return (-h + torch.tanh(h @ model.W_rec.T + x @ model.W_in.T + model.b)) / model.tau
        return (-h + torch.relu(h @ model.W_rec.T + x @ model.W_in.T + model.b)) / model.tau(h)
    g = torch.Generator().manual_seed(0)
    starts = hs[torch.randint(500, 3000, (200,), generator=g), 0]
    cand = find_fixed_points(F, starts, n_iter=1000, lr=0.05, q_tol=float("inf"), unique_tol=1e-2)
    pol = []
    for h in cand:      # Newton polishing, as in the notebook
        for _ in range(20):
            J = (closed_loop_jacobian(model, h, kind) - torch.eye(len(h), dtype=h.dtype)) / model.dt
            try:
                h = h - torch.linalg.solve(J, F(h[None])[0].detach())
            except RuntimeError:
                break
        pol.append(h)
    pol = torch.stack(pol)
    pol = pol[torch.isfinite(pol).all(dim=1)]
    fps = find_fixed_points(F, pol, n_iter=0, q_tol=1e-12, unique_tol=1e-3)
    with torch.no_grad():
        xyz = out_of(fps).numpy() * task["train_std"] + task["train_mean"]
    diam = np.linalg.norm(task["traj"].max(axis=0) - task["traj"].min(axis=0))
    lor = lorenz_fixed_points()
    d = np.linalg.norm(lor[:, None] - xyz[None], axis=-1) if len(xyz) else np.full((3, 1), np.inf)
    return {"max_lyapunov": round(lam1, 4),
            "max_lyapunov_rel_error": round(abs(lam1 - LAMBDA_1) / LAMBDA_1, 4),
            "n_fixed_points": int(len(fps)),
            # for each Lorenz fixed point: distance of the nearest model fixed point, % of diameter
            "lorenz_fp_distance_pct": [round(100 * float(v) / float(diam), 1) for v in d.min(axis=1)]}


def measure():
    torch.set_num_threads(1)
    out = {}
    out.update(_lorenz_exponents())
    out.update(_lorenz_fixed_points())
    ck = os.path.join(ROOT, "source", "04_dynamical_analysis", "checkpoints")
    for kind, name in (("ct", "ctrnn"), ("ei", "eirnn")):
        path = os.path.join(ck, name + ".pt")
        if os.path.exists(path):
            for k, v in _model_figures(kind, path).items():
                out[f"{name}_{k}"] = v
    out["goals_met"] = bool(out["lyap1_rel_error"] <= 0.01 and out["lyap2_abs_error"] <= 0.02
                            and out["lyap3_rel_error"] <= 0.02 and out["lyap_lorenz_seconds"] <= 20
                            and out["lorenz_fixed_points_found"] == 3
                            and out["lorenz_fixed_points_spurious"] == 0)
    return out


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key:40s} {value}")
