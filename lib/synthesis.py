"""Side-by-side comparison of the course's architectures (05)."""

import numpy as np
import pandas as pd

COLUMNS = ("one_step_error", "valid_prediction_time", "max_lyapunov",
           "state_space_divergence", "n_params", "train_seconds", "sign_consistency")


def comparison_table(results):
    """One row per architecture (in the order of ``results``), the columns ``COLUMNS``.

    ``results`` maps a name to a dict of metrics; a missing metric is NaN, keys that are
    not columns are ignored.  Float64 values; the index is named ``architecture``.
    """
    rows = [[float(metrics.get(c, np.nan)) for c in COLUMNS] for metrics in results.values()]
    table = pd.DataFrame(np.array(rows, dtype=np.float64).reshape(len(rows), len(COLUMNS)),
                         index=pd.Index(list(results.keys()), name="architecture"),
                         columns=list(COLUMNS))
    return table
