"""Dynamical analysis of trained RNNs: fixed points, Lyapunov exponents, attractor measures (04).

Fixed points and exponents work on PyTorch tensors (dtype kept); the two attractor
measures take NumPy arrays (anything ``np.asarray`` accepts) of shape ``(T, d)`` and use
natural logarithms.

* Fixed points as Sussillo & Barak (2013) find them: minimise ``q(h) = 0.5*||F(h)||^2``
  from many starts, keep the points with small ``q``, merge duplicates.
* Lyapunov exponents by the QR (Benettin) method on a discrete map.
* State-space divergence (KL between occupation histograms) and power-spectrum
  distance (Hellinger distance between smoothed spectra), the measures of the Durstewitz
  lab's dynamical-systems-reconstruction papers.
"""

import numpy as np
import torch

from .dynamics import BETA, RHO, SIGMA, lorenz_components, lorenz_jacobian

# ---- graded exercises -------------------------------------------------------------------


def jacobian(F, h):
    """dF/dh (N, N) of a map F: (N,) -> (N,) at ``h`` (N,), by autograd; dtype of ``h``."""
    h = h.detach().clone()
    return torch.autograd.functional.jacobian(F, h)


def find_fixed_points(F, h0, n_iter=3000, lr=0.5, q_tol=1e-6, unique_tol=1e-3):
    """Fixed points of ``F`` (batch (K, N) -> (K, N)) from the starting states ``h0`` (K, N).

    Minimises ``q(h) = 0.5*||F(h)||^2`` for every start by Adam (learning rate decaying
    geometrically from ``lr`` to ``lr/1000``), keeps the points with ``q < q_tol`` and
    then, in increasing order of ``q``, keeps a point only if it is farther than
    ``unique_tol`` from every point kept before.  Returns (M, N), (0, N) when none.
    """
    h = h0.detach().clone().requires_grad_(True)
    if n_iter > 0:
        opt = torch.optim.Adam([h], lr=lr)
        gamma = 1e-3 ** (1.0 / n_iter)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
        for _ in range(n_iter):
            opt.zero_grad()
            q = 0.5 * (F(h) ** 2).sum(dim=-1)
            q.sum().backward()
            opt.step()
            sched.step()
    with torch.no_grad():
        h = h.detach()
        q = 0.5 * (F(h) ** 2).sum(dim=-1)
        ok = q < q_tol
        h, q = h[ok], q[ok]
        order = torch.argsort(q)
        kept = []
        for i in order.tolist():
            if all(torch.linalg.norm(h[i] - k) > unique_tol for k in kept):
                kept.append(h[i])
    if not kept:
        return h0.new_zeros((0, h0.shape[-1]))
    return torch.stack(kept)


def _stability_class(margin, tol):
    """The class from each eigenvalue's signed distance ``margin`` past the stability
    boundary (negative inside): non-hyperbolic within ``tol`` of it, else stable, unstable
    or saddle."""
    if bool((margin.abs() <= tol).any()):
        return "non-hyperbolic"
    if bool((margin < 0).all()):
        return "stable"
    if bool((margin > 0).all()):
        return "unstable"
    return "saddle"


def classify_fixed_point(J, tol=1e-9):
    """Continuous-time stability from the eigenvalues of the Jacobian ``J`` of the flow.

    ``"non-hyperbolic"`` if some eigenvalue has |real part| <= tol, else ``"stable"``
    (all real parts < 0), ``"unstable"`` (all > 0) or ``"saddle"``.
    """
    return _stability_class(torch.linalg.eigvals(torch.as_tensor(J)).real, tol)


def classify_map_fixed_point(J, tol=1e-9):
    """Discrete-time stability from the multipliers (eigenvalues) of the Jacobian ``J`` of a map.

    For ``x_{k+1} = G(x_k)`` with ``J = dG/dx`` at a fixed point, a mode grows when its
    multiplier has modulus > 1.  ``"non-hyperbolic"`` if some multiplier satisfies
    ``| |mu| - 1 | <= tol``, else ``"stable"`` (all moduli < 1), ``"unstable"`` (all > 1)
    or ``"saddle"``.
    """
    return _stability_class(torch.linalg.eigvals(torch.as_tensor(J)).abs() - 1, tol)


_autograd_jacobian = jacobian


def lyapunov_spectrum(step, x0, n_steps, dt, n_transient=0, jacobian=None):
    """Lyapunov spectrum (d,) of the map ``step`` (state (d,) -> next state) by QR.

    ``n_transient`` steps are discarded; then, from ``Q = I``, ``n_steps`` times:
    ``Q, R = qr(J(x) @ Q)``, accumulate ``log|diag R|``, ``x = step(x)``.  The sums are
    divided by ``n_steps*dt`` (exponents per unit time) and sorted in descending order.
    ``jacobian(x)`` gives the step's Jacobian; autograd when ``None``.
    """
    jac = jacobian if jacobian is not None else (lambda x: _autograd_jacobian(step, x))
    x = x0.detach().clone()
    with torch.no_grad():
        for _ in range(n_transient):
            x = step(x)
    d = x.shape[-1]
    Q = torch.eye(d, dtype=x.dtype, device=x.device)
    sums = torch.zeros(d, dtype=x.dtype, device=x.device)
    for _ in range(n_steps):
        J = jac(x).detach()
        Q, R = torch.linalg.qr(J @ Q)
        sums = sums + torch.log(torch.abs(torch.diagonal(R)))
        with torch.no_grad():
            x = step(x)
    return torch.sort(sums / (n_steps * dt), descending=True).values


def state_space_divergence(x_true, x_gen, n_bins=30):
    """KL divergence D(p_true || p_gen) between occupation histograms (natural log).

    Bins: ``n_bins`` per dimension over the range of ``x_true``; generated points outside
    it are dropped; ``p_gen`` gets ``1e-10`` in every bin and is renormalised.
    """
    x_true = np.asarray(x_true, dtype=float)
    x_gen = np.asarray(x_gen, dtype=float)
    rng = [(float(lo), float(hi)) for lo, hi in zip(x_true.min(axis=0), x_true.max(axis=0))]
    if any(hi <= lo for lo, hi in rng):
        raise ValueError("x_true needs a positive range in every dimension")
    c_true, _ = np.histogramdd(x_true, bins=n_bins, range=rng)
    c_gen, _ = np.histogramdd(x_gen, bins=n_bins, range=rng)
    p_true = c_true / c_true.sum()
    inside = c_gen.sum()
    p_gen = c_gen / inside if inside > 0 else np.zeros_like(c_gen)
    p_gen = p_gen + 1e-10
    p_gen = p_gen / p_gen.sum()
    m = p_true > 0
    return float(np.sum(p_true[m] * np.log(p_true[m] / p_gen[m])))


def power_spectrum_distance(x_true, x_gen, smoothing=2.0):
    """Mean over dimensions of the Hellinger distance between smoothed power spectra."""
    from scipy.ndimage import gaussian_filter1d
    x_true = np.asarray(x_true, dtype=float)
    x_gen = np.asarray(x_gen, dtype=float)
    if x_true.shape != x_gen.shape:
        raise ValueError(f"x_true and x_gen must have the same shape, got {x_true.shape} "
                         f"and {x_gen.shape}")

    def spectrum(x):
        s = np.abs(np.fft.rfft(x - x.mean())) ** 2
        s = gaussian_filter1d(s, sigma=smoothing)
        return s / s.sum()

    dists = []
    for k in range(x_true.shape[1]):
        p, q = spectrum(x_true[:, k]), spectrum(x_gen[:, k])
        dists.append(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q)))))
    return float(np.mean(dists))


# ---- ungraded helpers -------------------------------------------------------------------


def lorenz_torch(x, sigma=SIGMA, rho=RHO, beta=BETA):
    """Lorenz-63 vector field (``lib.dynamics``) on tensors (..., 3), differentiable."""
    return torch.stack(lorenz_components(x[..., 0], x[..., 1], x[..., 2], sigma, rho, beta),
                       dim=-1)


def lorenz_rk4_map(dt=0.01, sigma=SIGMA, rho=RHO, beta=BETA):
    """(step, jacobian) of the classic RK4 map of Lorenz-63 on (3,) float64 tensors.

    Computed with NumPy on the three numbers (small torch ops cost more than the maths),
    the Jacobian exactly by the chain rule through the four RK4 stages; field and
    Jacobian are ``lib.dynamics``'s.
    """
    def f(v):
        return np.array(lorenz_components(*v, sigma, rho, beta))

    def jf(v):
        return lorenz_jacobian(v, sigma, rho, beta)

    eye = np.eye(3)

    def step(x):
        v = x.detach().cpu().numpy().astype(float)
        k1 = f(v)
        k2 = f(v + dt / 2 * k1)
        k3 = f(v + dt / 2 * k2)
        k4 = f(v + dt * k3)
        return torch.as_tensor(v + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4), dtype=x.dtype)

    def jac(x):
        v = x.detach().cpu().numpy().astype(float)
        k1, J1 = f(v), jf(v)
        v2 = v + dt / 2 * k1
        k2, J2 = f(v2), jf(v2) @ (eye + dt / 2 * J1)
        v3 = v + dt / 2 * k2
        k3, J3 = f(v3), jf(v3) @ (eye + dt / 2 * J2)
        J4 = jf(v + dt * k3) @ (eye + dt * J3)
        return torch.as_tensor(eye + dt / 6 * (J1 + 2 * J2 + 2 * J3 + J4), dtype=x.dtype)

    return step, jac


def kaplan_yorke_dimension(exponents):
    """Kaplan-Yorke (Lyapunov) dimension from a spectrum sorted in descending order."""
    lam = np.sort(np.asarray(exponents, dtype=float))[::-1]
    csum = np.cumsum(lam)
    if csum[0] < 0:
        return 0.0
    k = int(np.max(np.nonzero(csum >= 0)[0])) + 1
    if k == len(lam):
        return float(k)
    return float(k + csum[k - 1] / abs(lam[k]))
