"""01's section 10, the CT-RNN as a flow (hidden.a01's ``flow_model``): correct losses in
other styles pass, plausible mistakes fail with a message that names what is wrong, and the
trained model is judged by what it computes on held-out data (fast: in this process, on the
notebook's own given code)."""

import math
import textwrap

import numpy as np
import pytest
import torch
import torchdiffeq
from torch import nn

from grading.checks import CheckFailed
from inprocess import InProcess
from notebooks import read, source_path

A = "01_continuous_time_rnn"
GIVEN_MARK = "# Given code: the CT-RNN as a flow"

CORRECT = {
    "one_call": '''
def closed_window_loss(net, win, n_drive=50):
    with torch.no_grad():
        h0 = drive(net, win[:n_drive + 1])[-1]
    L = win.shape[0] - n_drive - 1
    h = torchdiffeq.odeint_adjoint(ClosedField(net), h0, torch.arange(L + 1, dtype=h0.dtype),
                                   method="rk4", options={"step_size": 1})[1:]
    return torch.mean((net.readout(h) - win[n_drive + 1:]) ** 2)''',
    "per_sample_calls_mse_loss": '''
def closed_window_loss(net, win, n_drive=50):
    with torch.no_grad():
        h0 = drive(net, win[:n_drive + 1])[-1]
    L = win.shape[0] - n_drive - 1
    field, h, ys = ClosedField(net), h0, []
    for k in range(L):
        t = torch.tensor([float(k), k + 1.0], dtype=h0.dtype)
        h = torchdiffeq.odeint_adjoint(field, h, t, method="rk4", options=dict(step_size=1.0))[-1]
        ys.append(net.readout(h))
    return nn.functional.mse_loss(torch.stack(ys), win[n_drive + 1:])''',
    "explicit_adjoint_params": '''
def closed_window_loss(net, win, n_drive=50):
    with torch.no_grad():
        h0 = drive(net, win[:n_drive + 1])[-1]
    L = win.shape[0] - n_drive - 1
    f = ClosedField(net)
    t = torch.linspace(0, L, L + 1, dtype=h0.dtype)
    hs = torchdiffeq.odeint_adjoint(f, h0, t, method="rk4", options={"step_size": 1.0},
                                    adjoint_params=tuple(f.parameters()))
    err = net.readout(hs[1:]) - win[n_drive + 1:]
    return err.pow(2).mean()''',
}

_ONE_CALL = CORRECT["one_call"]
_RUN = '''    h = torchdiffeq.odeint_adjoint(ClosedField(net), h0, torch.arange(L + 1, dtype=h0.dtype),
                                   method="rk4", options={"step_size": 1})[1:]'''

MISTAKES = {   # name -> (the correct loss with one edit, a word the message must contain)
    "backprop_through_odeint": (_ONE_CALL.replace("odeint_adjoint(", "odeint("), "odeint_adjoint"),
    "the_warm_state_counted": (_ONE_CALL.replace(")[1:]", ")[:-1]"), "the loss"),
    "targets_one_sample_early": (_ONE_CALL.replace("win[n_drive + 1:]", "win[n_drive:-1]"),
                                 "the loss"),
    "sum_not_mean": (_ONE_CALL.replace("torch.mean(", "torch.sum("), "the loss"),
    "open_loop_driven_by_data": (_ONE_CALL.replace(_RUN, "    h = drive(net, win)[n_drive + 1:]"),
                                 "the loss"),
    "half_sample_steps": (_ONE_CALL.replace('{"step_size": 1}', '{"step_size": 0.5}'),
                          "one step per sample"),
}
assert all(source != _ONE_CALL for source, _ in MISTAKES.values())


def _namespace(loss_source):
    from lib.ctrnn import valid_prediction_time   # the notebook's given function of section 5
    from lib.task import DT
    given = next(c.source for c in read(source_path(A)).cells
                 if c.cell_type == "code" and c.source.startswith(GIVEN_MARK))
    ns = {"torch": torch, "torchdiffeq": torchdiffeq, "nn": nn, "math": math, "np": np,
          "dt_data": DT, "valid_prediction_time": valid_prediction_time}
    exec(given, ns)
    exec(textwrap.dedent(loss_source), ns)
    return ns


def _loss_verdict(loss_source):
    from lib import flow
    import hidden.a01_continuous_time_rnn as H
    try:
        H._check_window_loss(InProcess(_namespace(loss_source)), flow)
    except CheckFailed as e:
        return str(e)
    return None


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_losses_pass(name):
    assert _loss_verdict(CORRECT[name]) is None


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistaken_losses_fail_with_a_message(name):
    source, word = MISTAKES[name]
    message = _loss_verdict(source)
    assert message is not None and word in message, message


@pytest.fixture(scope="module")
def readout_only():
    """The recipe's network with its ridge readout only (seed 0), as the notebook's given
    code builds it."""
    from lib.ctrnn import standardised_splits
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    ns = _namespace(CORRECT["one_call"])
    train, _, _ = standardised_splits(lorenz_task())
    return ns, ns["fit_flow_readout"](ns["FlowCTRNN"](seed=0), train)


def _model_verdict(ns, model):
    import lib
    import hidden.a01_continuous_time_rnn as H
    ns = dict(ns, flow_model=model)
    check = next(q["check"] for q in H.QUESTIONS.questions if q["name"] == "flow_model")
    try:
        check(InProcess(ns), lib)
    except CheckFailed as e:
        return str(e)
    return None


def test_the_readout_only_network_is_a_working_flow(readout_only):
    """The bar asks for a working flow (the notebook says the readout-only network may pass):
    what training adds on held-out data is about the seeds' spread (benchmarks)."""
    ns, model = readout_only
    assert _model_verdict(ns, model) is None


def test_an_untrained_readout_fails_by_its_forecasts(readout_only):
    ns, model = readout_only
    blank = ns["FlowCTRNN"](seed=0)
    blank.h_init.copy_(model.h_init)
    message = _model_verdict(ns, blank)
    assert message is not None and "valid prediction time" in message, message


def test_an_oversized_flow_is_refused_before_it_is_built(readout_only):
    ns, _ = readout_only
    message = _model_verdict(ns, ns["FlowCTRNN"](n_hidden=400, seed=0))
    assert message is not None and "at most" in message, message


def test_lib_and_the_notebook_give_the_same_flow(readout_only):
    """lib.flow is the one truth the grader integrates: the notebook's given code computes
    the same readout and the same forecasts."""
    from lib import flow
    from lib.ctrnn import standardised_splits
    from lib.task import lorenz_task
    ns, model = readout_only
    train, _, test = standardised_splits(lorenz_task())
    ref = flow.fit_flow_readout(flow.FlowCTRNN(seed=0), train)
    for name in ("W", "U", "b", "C", "c", "h_init"):
        assert torch.allclose(getattr(ref, name), getattr(model, name), rtol=1e-6, atol=1e-7), name
    mine = ns["flow_vpt"](model, test)
    theirs = flow.flow_valid_prediction_times(ref, test)
    assert np.allclose(np.median(mine), np.median(theirs), atol=0.1)
