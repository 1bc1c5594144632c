"""Quality benchmark of 02_balanced_rate_network (issue 4).

    python -m tools.quality.q02_balanced_rate_network

Figures: the untrained balanced network's balance index across the notebook's K sweep
(goal: at most 0.2 at the largest K and decreasing with K); the trained EIRNN
(``lib.ei.train_eirnn``, the notebook's setting): sign-consistent recurrent weights
(goal 100 %), one-step normalised error on the test split (goal <= 0.02), median closed-loop
valid prediction time over 20 test starts (goal >= 2 Lyapunov times), training seconds on
one thread (goal <= 60 s), and the same figures on held-out data like the grader's.

Balance of trained networks (issue 14): ``trained_balance_index`` of that EIRNN on the
teacher-forced test input (``lib.ei.trained_balance``), and the variant trained with the
balance penalty (``lib.ei.train_balanced_eirnn``): its balance index (goal <= 0.3), median
valid prediction time (goal >= 1.5 Lyapunov times, same protocol), one-step error and
training seconds (goal about 60 s); ``balanced_goal_met`` says whether both goals hold.
Since issue 22 the balanced variant is 02's graded recipe (Exercise 6 trains with the
penalty): its held-out figures are the grader's (balance index at most 0.3, one-step error
at most 0.05, median VPT at least 1.0 and, the issue's goal, at least 2).
"""

import numpy as np
import torch

from lib import ei
from lib.task import lorenz_task

SWEEP_KS = (5, 10, 20, 40, 80)   # the notebook's sweep


def _held_out(task):
    from lib.dynamics import lorenz_rhs, simulate
    dt = float(task["dt"])
    n_tr = int(round(10.0 / dt))
    full = simulate(lorenz_rhs, np.array([-4.0, 7.0, 22.0]), dt, n_tr + 3000)
    return torch.as_tensor((full[n_tr:] - task["train_mean"]) / task["train_std"],
                           dtype=torch.float32)


def _test(task):
    """The task's standardised test split (T, 3), float32."""
    return ei.standardised_splits(task)[2]


def measure(seed=0):
    torch.set_num_threads(1)
    out = {}
    betas = ei.balance_sweep(SWEEP_KS)
    out.update({f"balance_index_K{K}": float(b) for K, b in zip(SWEEP_KS, betas)})
    out["balance_index_decreasing"] = bool(np.all(np.diff(betas) < 0))
    task = lorenz_task()
    model, info = ei.train_eirnn(task, seed=seed)
    out["train_seconds"] = round(info["seconds"], 1)
    ev = ei.evaluate_eirnn(model, task)
    out["sign_consistency"] = ev["sign_consistency"]
    out["one_step_error"] = ev["one_step_error"]
    out["vpt_median"] = ev["vpt_median"]
    out["vpt_min"] = ev["vpt_min"]
    held = _held_out(task)
    out["held_out_one_step_error"] = ei.ei_one_step_error(model, held)
    out["held_out_vpt_median"] = float(np.median(ei.ei_valid_prediction_times(
        model, held, horizon=400)))
    out["trained_balance_index"] = ei.trained_balance(model, _test(task))["balance_index"]
    balanced, b_info = ei.train_balanced_eirnn(task, seed=seed)
    b_ev = ei.evaluate_eirnn(balanced, task)
    out["balanced_variant_balance_index"] = ei.trained_balance(balanced, _test(task))["balance_index"]
    out["balanced_variant_vpt_median"] = b_ev["vpt_median"]
    out["balanced_variant_one_step_error"] = b_ev["one_step_error"]
    out["balanced_variant_train_seconds"] = round(b_info["seconds"], 1)
    out["balanced_goal_met"] = bool(out["balanced_variant_balance_index"] <= 0.3
                                    and out["balanced_variant_vpt_median"] >= 1.5)
    out["graded_held_out_balance_index"] = ei.trained_balance(balanced, held)["balance_index"]
    out["graded_held_out_one_step_error"] = ei.ei_one_step_error(balanced, held)
    out["graded_held_out_vpt_median"] = float(np.median(ei.ei_valid_prediction_times(
        balanced, held, horizon=400)))
    out["graded_goal_balanced_and_vpt_2_met"] = bool(out["graded_held_out_balance_index"] <= 0.3
                                                     and out["graded_held_out_vpt_median"] >= 2.0)
    out["goals_met"] = bool(out["balance_index_K80"] <= 0.2 and out["balance_index_decreasing"]
                            and out["sign_consistency"] == 1.0
                            and out["one_step_error"] <= 0.02 and out["vpt_median"] >= 2.0
                            and out["train_seconds"] <= 60)
    return out


if __name__ == "__main__":
    for k, v in measure().items():
        print(f"{k:32s} {v:.4f}" if isinstance(v, float) else f"{k:32s} {v}")
