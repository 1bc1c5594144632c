"""Hidden checks of 05_synthesis (never handed to students).

Only ``comparison_table`` is autograded; the written answers are graded by hand
(docs/MANUAL_GRADING.md).
"""

import numpy as np

from grading.checks import CheckFailed, Registry, expect, expect_close

QUESTIONS = Registry()
LIMITS = {"cell_timeout": 240, "notebook_timeout": 420, "call_timeout": 30}

COLUMNS = ["one_step_error", "valid_prediction_time", "max_lyapunov",
           "state_space_divergence", "n_params", "train_seconds", "sign_consistency"]


def _check_table(got, want, what):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is part of the grader's image
        raise CheckFailed("pandas is needed to read the table")
    expect(isinstance(got, pd.DataFrame),
           f"{what}: expected a pandas DataFrame, got {type(got).__name__}")
    expect([str(c) for c in got.columns] == COLUMNS,
           f"{what}: expected exactly the columns {COLUMNS} in this order, got "
           f"{[str(c) for c in got.columns]}")
    expect(list(got.index) == list(want.index),
           f"{what}: expected one row per architecture, in the order of the dict "
           f"{list(want.index)}, got {list(got.index)}")
    expect(got.index.name == "architecture",
           f"{what}: the index must be named 'architecture', got {got.index.name!r}")
    try:
        values = got.apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: every value must be a number (NaN for a missing metric)") \
            from None
    expect_close(values, want.to_numpy(dtype=np.float64),
                 f"{what}: values (a metric missing from a dict must be NaN)",
                 rtol=1e-12, atol=0)


@QUESTIONS.question("comparison_table", points=2)
def comparison_table(sub, ref):
    results = {
        "spiking reservoir": {"one_step_error": 0.21, "n_params": 1203,
                              "train_seconds": 3.5, "sign_consistency": 1.0,
                              "notes": "readout only", "firing_rate": 12.5},
        "CT-RNN": {"max_lyapunov": 0.87, "one_step_error": 0.031,
                   "valid_prediction_time": 1.25, "state_space_divergence": 0.4,
                   "n_params": 4419, "train_seconds": 41.0, "sign_consistency": 0.49},
        "E/I RNN": {"sign_consistency": 1.0, "train_seconds": 55.5, "n_params": 6835,
                    "state_space_divergence": 0.22, "valid_prediction_time": 1.6,
                    "max_lyapunov": 0.93, "one_step_error": 0.027},
        "persistence": {},
    }
    snapshot = {k: dict(v) for k, v in results.items()}
    got, reply = sub.call("comparison_table", results, return_args=True)
    _check_table(got, ref.comparison_table(results),
                 "comparison_table(results) for 4 architectures (metrics given in different "
                 "orders, some missing, some extra keys that are not columns)")
    after = reply["args"][0]
    expect(after == snapshot and list(after) == list(snapshot),
           "comparison_table must not modify the results dict it is given")
    two = {"b": {"n_params": 10, "one_step_error": np.float64(0.5)},
           "a": {"valid_prediction_time": 2, "max_lyapunov": -0.25}}
    _check_table(sub.call("comparison_table", two), ref.comparison_table(two),
                 "comparison_table(results) for 2 architectures named 'b' then 'a' "
                 "(integer metrics)")
