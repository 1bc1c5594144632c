"""A trained model graded in 01/02 must be the student's own: the checkpoints the course
ships with 04/05 (or barely changed copies of them) get no credit, a different model is not
mistaken for them, and the fingerprints the grader compares with are fresh."""

import json
import os

import pytest
import torch

import lib
from grading.checks import (SHIPPED_FINGERPRINTS, CheckFailed, fingerprint, is_shipped_model)
from notebooks import ROOT
from test_mutants_02 import InProcess

torch.set_num_threads(1)
CKPT = os.path.join(ROOT, "source", "04_dynamical_analysis", "checkpoints")


def _shipped(key):
    return torch.load(os.path.join(CKPT, key + ".pt"), map_location="cpu", weights_only=True)


def test_fingerprints_in_lib_are_those_of_the_shipped_checkpoints():
    with open(os.path.join(ROOT, "lib", SHIPPED_FINGERPRINTS), encoding="utf-8") as f:
        stored = json.load(f)
    for key in ("ctrnn", "eirnn"):
        fresh = fingerprint(_shipped(key)["state_dict"])
        assert stored[key]["shapes"] == fresh["shapes"], "run python -m tools.checkpoints"
        assert stored[key]["projection"] == pytest.approx(fresh["projection"], rel=1e-12)


@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_copies_and_near_copies_are_recognised_others_are_not(key):
    with open(os.path.join(ROOT, "lib", SHIPPED_FINGERPRINTS), encoding="utf-8") as f:
        shipped = json.load(f)[key]
    state = _shipped(key)["state_dict"]
    g = torch.Generator().manual_seed(0)
    noisy = lambda scale: {k: v + scale * v.abs().mean() * torch.randn(v.shape, generator=g)
                           for k, v in state.items()}
    assert is_shipped_model(state, shipped)
    assert is_shipped_model({k: v.double() for k, v in state.items()}, shipped)
    assert is_shipped_model(noisy(1e-3), shipped)          # a few fine-tuning steps
    assert not is_shipped_model(noisy(0.3), shipped)        # another model
    assert not is_shipped_model({k: torch.randn(v.shape, generator=g) * v.std()
                                 for k, v in state.items()}, shipped)


@pytest.mark.parametrize("module,question,key,cls", [
    ("hidden.a01_continuous_time_rnn", "ctrnn_model", "ctrnn", "CTRNN"),
    ("hidden.a02_balanced_rate_network", "ei_model", "eirnn", "EIRNN")])
def test_a_model_loaded_from_the_shipped_checkpoint_gets_no_credit(module, question, key, cls):
    import importlib
    check = next(q["check"] for q in importlib.import_module(module).QUESTIONS.questions
                 if q["name"] == question)
    ckpt = _shipped(key)
    model = getattr(lib, cls)(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"], strict=False)
    with pytest.raises(CheckFailed, match="checkpoint the course ships"):
        check(InProcess({question: model}), lib)
    # the same architecture with its own weights is graded on its merits (here: untrained)
    with pytest.raises(CheckFailed, match="one-step"):
        check(InProcess({question: getattr(lib, cls)(**ckpt["config"])}), lib)
