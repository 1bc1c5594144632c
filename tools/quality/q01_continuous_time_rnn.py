"""Quality benchmark of 01: train the reference CT-RNN and measure it.

``python -m tools.quality.q01_continuous_time_rnn`` prints training time, one-step error
on the test split, closed-loop valid prediction time (median over 20 test starts, in
Lyapunov times) and the largest Lyapunov exponent of the free-running model.
"""

import time


def measure(seed=0):
    import numpy as np
    import torch
    from lib.ctrnn import evaluate_model, train_ctrnn
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    task = lorenz_task()
    t0 = time.perf_counter()
    model, info = train_ctrnn(task, seed=seed)
    train_seconds = time.perf_counter() - t0
    ev = evaluate_model(model, task, split="test", n_starts=20)
    return {"train_seconds": round(train_seconds, 1),
            "one_step_error_test": float(ev["one_step_error"]),
            "vpt_median_lyapunov_times": round(ev["vpt_median"], 2),
            "vpt_min_lyapunov_times": round(ev["vpt_min"], 2),
            "max_lyapunov": round(ev["max_lyapunov"], 3),
            "max_lyapunov_rel_error": round(abs(ev["max_lyapunov"] - 0.9056) / 0.9056, 3),
            "n_hidden": info["config"]["n_hidden"], "tau": info["config"]["tau"],
            "dt": info["config"]["dt"], "vpt_all": np.round(ev["vpt"], 2).tolist()}


if __name__ == "__main__":
    for k, v in measure().items():
        print(f"{k}: {v}")
