"""Public checks for trajectory_loss: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "trajectory_loss (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def constant_velocity(trajectory_loss, torch):
    class Drift(torch.nn.Module):
        """dx/dt = v: the exact solution is x0 + v t, which every solver reproduces."""

        def __init__(self):
            super().__init__()
            self.v = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))

        def forward(self, t, x):
            return self.v.expand_as(x)

    x0 = torch.zeros(1, 2, dtype=torch.float64)
    times = torch.arange(4, dtype=torch.float64)[:, None, None] * 0.5
    on_path = x0 + times * torch.tensor([1.0, -2.0], dtype=torch.float64)   # (4, 1, 2)
    loss = trajectory_loss(Drift(), on_path, 0.5)
    assert torch.is_tensor(loss) and loss.dim() == 0, "a 0-d tensor"
    assert loss.dtype == torch.float64, "in x_window's dtype"
    assert abs(float(loss.detach())) < 1e-12, "a window on the exact trajectory has zero loss"
    off = on_path.clone()
    off[1:] += 0.1                                    # every prediction off by 0.1
    assert abs(float(trajectory_loss(Drift(), off, 0.5)) - 0.01) < 1e-9, \
        "windows whose samples 1..L-1 are all off by 0.1 have loss 0.01"
