"""Public checks for flow_model: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "flow_model (public checks only: hidden tests decide the grade)"
points = 0


@test_case(points=0, hidden=False)
def is_a_trained_flow(flow_model, torch):
    names = dict(flow_model.named_parameters())
    for k in ("W", "U", "b", "C", "c"):
        assert k in names, f"flow_model has no parameter {k}"
    N = names["W"].shape[0]
    assert tuple(names["U"].shape) == (N, 3) and tuple(names["C"].shape) == (3, N)
    assert flow_model.tau > 0 and tuple(flow_model.h_init.shape) == (N,)


@test_case(points=0, hidden=False)
def loss_with_a_constant_readout(closed_window_loss, FlowCTRNN, torch):
    # With C = 0 the readout is the constant c whatever the network does: the loss is then
    # the mean of (c - data)^2 over the L closed-loop samples win[n_drive + 1:] only.
    net = FlowCTRNN(n_hidden=5, seed=3).double()
    with torch.no_grad():
        net.c.copy_(torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64))
    win = torch.linspace(-1, 1, 9 * 2 * 3, dtype=torch.float64).reshape(9, 2, 3)
    got = closed_window_loss(net, win, n_drive=4)
    want = torch.mean((net.c.detach() - win[5:]) ** 2)
    assert got.shape == () and got.dtype == torch.float64, "a 0-d tensor of the input's dtype"
    assert abs(float(got) - float(want)) < 1e-12, \
        f"with C = 0 the loss should be {float(want):.6f} (the mean over win[n_drive + 1:]), got {float(got):.6f}"


@test_case(points=0, hidden=False)
def gradients_reach_the_network(closed_window_loss, FlowCTRNN, torch):
    net = FlowCTRNN(n_hidden=5, seed=4).double()
    with torch.no_grad():
        net.C.copy_(0.3 * torch.ones(3, 5, dtype=torch.float64))
    win = torch.sin(torch.arange(8 * 2 * 3, dtype=torch.float64)).reshape(8, 2, 3)
    loss = closed_window_loss(net, win, n_drive=3)
    loss.backward()
    for k in ("W", "U", "b", "C", "c"):
        g = getattr(net, k).grad
        assert g is not None and float(g.abs().sum()) > 0, f"no gradient reached net.{k}"
