"""The course's one evaluation protocol of a forecaster (01-05; 04 and 05 print its numbers).

A forecaster is judged on a standardised split ``series`` (T, d) of the task:

* **one-step error**: mean over time of the per-step normalised error
  (``lib.ctrnn.prediction_error`` with std 1) of the teacher-forced predictions of
  ``series[n_warmup + 1:]``;
* **valid prediction time**: from ``N_STARTS`` evenly spaced starts ``s``
  (:func:`protocol_starts`), the model is warmed up on ``series[s - n_warmup:s]`` (if it
  has a hidden state), then runs free from the input ``series[s]``; its ``horizon``
  forecasts are compared with ``series[s + 1:s + 1 + horizon]``
  (``lib.ctrnn.valid_prediction_time``, threshold 0.5), in Lyapunov times
  (``lib.task.LAMBDA_1``).  Tables report the median over the starts.
"""

import numpy as np
import torch

from .task import DT, LAMBDA_1

N_STARTS = 20
N_WARMUP = 50
HORIZON = 600
THRESHOLD = 0.5


def protocol_starts(T, n_starts=N_STARTS, n_warmup=N_WARMUP, horizon=HORIZON):
    """The starts of the forecasts in a series of length ``T``: ``n_starts`` integers
    evenly spaced from ``n_warmup`` to ``T - horizon - 1``."""
    return np.linspace(n_warmup, T - horizon - 1, n_starts).astype(int)


def forecast_vpts(pred, series, starts, data_dt=DT, threshold=THRESHOLD):
    """Valid prediction times (Lyapunov times), one per start: ``pred`` (horizon, n, d)
    holds the forecasts from ``starts`` (n,), compared with ``series[s + 1:s + 1 + horizon]``
    in standardised units (std 1).  Returns an array (n,)."""
    from .ctrnn import valid_prediction_time
    horizon = pred.shape[0]
    ones = torch.ones(series.shape[-1], dtype=series.dtype)
    return np.array([valid_prediction_time(pred[:, j], series[s + 1:s + 1 + horizon], ones,
                                           data_dt, threshold, LAMBDA_1)
                     for j, s in enumerate(starts)])


def one_step_error(pred, series, n_warmup=N_WARMUP):
    """Mean per-step normalised error of teacher-forced predictions ``pred`` (T - 1, d) of
    ``series[1:]`` (standardised units), after the first ``n_warmup`` predictions."""
    from .ctrnn import prediction_error
    ones = torch.ones(series.shape[-1], dtype=series.dtype)
    return float(prediction_error(pred[n_warmup:], series[1 + n_warmup:], ones).mean())
