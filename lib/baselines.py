"""The strongest simple predictors of the next standardised Lorenz state (no network).

Next to a network, 05 shows what a model without any recurrent machinery reaches with the
shared protocol:

* a linear autoregression AR(p) on the last ``p`` states, ``p`` chosen by the one-step
  error on the validation split (:func:`validated_ar_order`);
* polynomial ridge regression of degree 3 and 4 on the current state (degree 2 is
  :func:`lib.spiking.fit_baselines`' quadratic ridge) and of degree 2 on the last two
  states (next-generation reservoir computing, Gauthier et al. 2021: one RK4 step of a
  quadratic vector field is a polynomial map of the state, so a polynomial of low degree
  can represent the sampled Lorenz map almost exactly).

Every model is a map ``predict(u) -> (T, 3)`` from a standardised series ``u`` (T, 3)
(float64) to the prediction of each next state, causal (``predict(u)[t]`` reads
``u[:t + 1]`` only), fitted on the training split by :func:`lib.spiking.ridge_regression`.
"""

import functools
import itertools

import torch

from .spiking import lagged_inputs, ridge_regression

ALPHA = 1e-6            # ridge penalty (standardised units)
WASHOUT = 100           # first samples left out of every fit (as 03's reservoir)
AR_ORDERS = tuple(range(1, 13))   # the orders the validation chooses from
# (degree, number of lagged states); degree 2 on the state alone is lib.spiking's quadratic
# ridge (03's baseline: the same features), so it is not repeated here
POLYNOMIALS = ((3, 1), (4, 1), (2, 2))


def polynomial_features(u_seq, degree, n_lags=1):
    """``(T, F)``: every monomial of degree 1 to ``degree`` of the last ``n_lags`` states
    (``lagged_inputs``; the first rows padded with ``u[0]``).  For 3 components and one
    state: 9 features at degree 2, 19 at 3, 34 at 4; for two states at degree 2: 27."""
    z = lagged_inputs(torch.as_tensor(u_seq, dtype=torch.float64), n_lags)
    return torch.cat([z[:, idx].prod(dim=-1) for idx in _monomials(z.shape[1], degree)], dim=1)


@functools.lru_cache(maxsize=None)
def _monomials(n_vars, degree):
    """Index tensors ``(M_d, d)`` of the monomials of each degree ``d = 1 .. degree``."""
    return tuple(torch.tensor(list(itertools.combinations_with_replacement(range(n_vars), d)))
                 for d in range(1, degree + 1))


def _fit(features, u_train, washout=WASHOUT, alpha=ALPHA):
    u = torch.as_tensor(u_train, dtype=torch.float64)
    W, b = ridge_regression(features(u)[washout:-1], u[washout + 1:], alpha)
    return lambda s: features(torch.as_tensor(s, dtype=torch.float64)) @ W + b, W.numel() + b.numel()


def fit_ar(u_train, order, **kw):
    """AR(``order``): ``(predict, n_params)``."""
    return _fit(lambda u: lagged_inputs(u, order), u_train, **kw)


def fit_polynomial(u_train, degree, n_lags=1, **kw):
    """Polynomial ridge of ``degree`` on the last ``n_lags`` states: ``(predict, n_params)``."""
    return _fit(lambda u: polynomial_features(u, degree, n_lags), u_train, **kw)


def one_step(predict, u, washout=WASHOUT):
    """The course's one-step error (per-step RMS over components, averaged over time) of
    ``predict`` on ``u`` after ``washout`` samples."""
    from .spiking import one_step_error
    return one_step_error(predict(u), u, washout)


def validated_ar_order(u_train, u_val, orders=AR_ORDERS):
    """The AR order with the smallest one-step error on the validation split."""
    errors = {p: one_step(fit_ar(u_train, p)[0], torch.as_tensor(u_val, dtype=torch.float64))
              for p in orders}
    return min(errors, key=errors.get)


def strongest_baselines(u_train, u_val):
    """``{name: (predict, n_params, n_lags)}``: AR of the validated order and the
    polynomial ridges of ``POLYNOMIALS``."""
    p = validated_ar_order(u_train, u_val)
    out = {f"AR({p}), order by validation": (*fit_ar(u_train, p), p)}
    for degree, lags in POLYNOMIALS:
        name = (f"polynomial ridge, degree {degree}" if lags == 1 else
                f"polynomial ridge, degree {degree} on {lags} lags")
        out[name] = (*fit_polynomial(u_train, degree, lags), lags)
    return out
