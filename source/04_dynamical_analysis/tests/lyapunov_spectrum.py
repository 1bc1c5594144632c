"""Public checks for lyapunov_spectrum: shapes and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "lyapunov_spectrum (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def diagonal_map(lyapunov_spectrum, torch, math):
    A = torch.diag(torch.tensor([0.5, 2.0], dtype=torch.float64))
    x0 = torch.tensor([1.0, 1.0], dtype=torch.float64)
    lam = lyapunov_spectrum(lambda x: A @ x, x0, 10, 1.0, jacobian=lambda x: A)
    assert tuple(lam.shape) == (2,), f"expected shape (2,), got {tuple(lam.shape)}"
    want = torch.tensor([math.log(2.0), math.log(0.5)], dtype=torch.float64)
    assert torch.allclose(lam.double(), want), \
        "for x -> diag(0.5, 2) x with dt = 1 the exponents are log 2 and log 0.5 (largest first)"


@test_case(points=0, hidden=False)
def sheared_map(lyapunov_spectrum, torch, math):
    # A non-triangular constant map: its exponents are the logs of the eigenvalue moduli,
    # (3 +- sqrt 5) / 2, which the QR method finds only if Q is carried from step to step.
    A = torch.tensor([[2.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    x0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    lam = lyapunov_spectrum(lambda x: A @ x, x0, 60, 1.0, jacobian=lambda x: A)
    g = math.log((3 + math.sqrt(5)) / 2)
    assert torch.allclose(lam.double(), torch.tensor([g, -g], dtype=torch.float64), atol=0.02), \
        "for x -> [[2, 1], [1, 1]] x the exponents are +-log((3 + sqrt 5) / 2) = +-0.962: " \
        "is Q carried from one step to the next (Q, R = qr(J(x) @ Q))?"
