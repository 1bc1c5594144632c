"""Public checks for run_lif_network: shapes, types and hand-computable values only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "run_lif_network (public checks only: hidden tests decide the grade)"
points = 0

@test_case(points=0, hidden=False)
def uncoupled_neurons(run_lif_network, torch):
    T = 20
    i_ext = torch.zeros(T, 3)
    i_ext[:, 1] = 20.0          # v' = 0 + 0.1*20 = 2 > 1 from rest: fires at every step
    W = torch.zeros(3, 3)
    s = run_lif_network(i_ext, W)
    assert s.shape == (T, 3), f"expected spikes of shape ({T}, 3), got {tuple(s.shape)}"
    assert s.dtype == i_ext.dtype, "spikes in the dtype of i_ext"
    assert torch.all(s[:, 0] == 0) and torch.all(s[:, 1] == 1), "check the neuron update"
    # neuron 1 excites neuron 2 one step later: 0.1 * 15 = 1.5 > 1
    W[2, 1] = 15.0
    s = run_lif_network(i_ext, W)
    assert s[0, 2] == 0 and torch.all(s[1:, 2] == 1), \
        "W_rec[i, j] carries spikes of j at step t-1 into neuron i at step t"
