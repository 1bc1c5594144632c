"""A trained model graded in 01/02 must be the student's own: every checkpoint a release of
the course shipped (the work tree's and those in git's history), however reparametrised
(hidden units permuted, tanh units' signs flipped, ReLU units rescaled), gets no credit;
a model trained honestly with the notebook's recipe is never flagged; and the fingerprints
the grader compares with are fresh (``python -m tools.checkpoints --fingerprints-only``).

Measured (issue 24), RMS distance of ``grading.checks.behaviour`` in standardised units:
copies 4e-13 (CT-RNN permuted + signs), 6e-5 (E/I permuted + rescaled in float32);
honest models (lib.train_ctrnn / train_eirnn, seeds 1, 2) against the shipped ones
>= 2.5e-2 (CT-RNN) and >= 0.73 (E/I); the tolerance is SHIPPED_BEHAVIOUR_ATOL = 1e-3.
"""

import io
import json
import os
import subprocess

import numpy as np
import pytest
import torch

import lib
from grading.checks import (SHIPPED_BEHAVIOUR_ATOL, SHIPPED_FINGERPRINTS, CheckFailed,
                            behaviour, behaviour_distance, expect_not_shipped, fingerprint,
                            is_shipped_model)
from notebooks import ROOT
from test_mutants_02 import InProcess
from tools.checkpoints import checkpoint_fingerprint, shipped_checkpoint_files, write_fingerprints

torch.set_num_threads(1)
CKPT = os.path.join(ROOT, "source", "04_dynamical_analysis", "checkpoints")
SHIPPED_MESSAGE = "not a substitute for training"
FIRST_RELEASE = "5cefbfd"     # shipped models trained with seed 0, the notebooks' own seed


def _shipped(key):
    return torch.load(os.path.join(CKPT, key + ".pt"), map_location="cpu", weights_only=True)


def _stored():
    with open(os.path.join(ROOT, "lib", SHIPPED_FINGERPRINTS), encoding="utf-8") as f:
        return json.load(f)


def _entry_of(key, ckpt):
    """The stored entry whose outputs are this checkpoint's."""
    mine = checkpoint_fingerprint(_bytes(ckpt))[1]["outputs"]
    return next(e for e in _stored()[key] if behaviour_distance(mine, e["outputs"]) < 1e-6)


def _bytes(ckpt):
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    return buf.getvalue()


def _model(key, ckpt):
    m = (lib.EIRNN if key == "eirnn" else lib.CTRNN)(**ckpt["config"])
    m.load_state_dict(ckpt["state_dict"], strict=False)
    return m


def permuted_ctrnn(ckpt, seed=1):
    """The same function: hidden units permuted, a random half of them sign-flipped (tanh is
    odd: unit i's incoming weights, bias and outgoing weights change sign together)."""
    sd = {k: v.double() for k, v in ckpt["state_dict"].items()}
    g = torch.Generator().manual_seed(seed)
    N = sd["W_rec"].shape[0]
    P = torch.randperm(N, generator=g)
    s = (torch.randint(0, 2, (N,), generator=g) * 2 - 1).double()
    out = {"W_rec": sd["W_rec"][P][:, P] * s[:, None] * s[None, :],
           "W_in": sd["W_in"][P] * s[:, None], "b": sd["b"][P] * s,
           "readout.weight": sd["readout.weight"][:, P] * s[None, :],
           "readout.bias": sd["readout.bias"]}
    return {"state_dict": {k: v.float() for k, v in out.items()}, "config": ckpt["config"]}


def permuted_eirnn(ckpt, seed=1):
    """The same function: E units permuted among themselves, I units among themselves, each
    unit's rate rescaled by c > 0 (ReLU is positively homogeneous and the leak linear: rows
    times c, columns divided by c, readout divided by c), stored in float32."""
    sd = {k: v.double() for k, v in ckpt["state_dict"].items()}
    nE, nI = ckpt["config"]["n_exc"], ckpt["config"]["n_inh"]
    g = torch.Generator().manual_seed(seed)
    P = torch.cat([torch.randperm(nE, generator=g), nE + torch.randperm(nI, generator=g)])
    c = torch.exp(torch.empty(nE + nI, dtype=torch.float64).uniform_(-0.7, 0.7, generator=g))
    out = {"W_rec_raw": sd["W_rec_raw"][P][:, P] * c[:, None] / c[None, :],
           "W_in": sd["W_in"][P] * c[:, None], "b": sd["b"][P] * c,
           "readout.weight": sd["readout.weight"][:, P[:nE]] / c[None, :nE],
           "readout.bias": sd["readout.bias"]}
    return {"state_dict": {k: v.float() for k, v in out.items()}, "config": ckpt["config"]}


PERMUTE = {"ctrnn": permuted_ctrnn, "eirnn": permuted_eirnn}
CLOSED_LOOP = {"ctrnn": lib.closed_loop, "eirnn": lib.ei_closed_loop}


def _is_flagged(key, ckpt, ref=lib):
    model = _model(key, ckpt).double()
    try:
        expect_not_shipped(ckpt["state_dict"], ref, key, key, model=model,
                           closed_loop=CLOSED_LOOP[key])
    except CheckFailed as e:
        assert SHIPPED_MESSAGE in str(e)
        return True
    return False


def _git_checkpoint(commit, key):
    data = subprocess.run(["git", "-C", ROOT, "show",
                           f"{commit}:source/04_dynamical_analysis/checkpoints/{key}.pt"],
                          capture_output=True, check=True).stdout
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


# ---- the stored fingerprints -------------------------------------------------------------
def test_fingerprints_in_lib_cover_every_checkpoint_any_release_shipped():
    """Every checkpoint file in the work tree and in git's history has an entry (by its
    sha256) whose behaviour and projection are this machine's."""
    stored = _stored()
    entries = {d: (k, e) for k in ("ctrnn", "eirnn") for e in stored[k] for d in e["sha256"]}
    files = shipped_checkpoint_files(ROOT)
    assert len(files) >= 6, "expected the current checkpoints and two earlier versions of each"
    for digest, (data, where) in files.items():
        assert digest in entries, f"{where}: run python -m tools.checkpoints --fingerprints-only"
        kind, fresh = checkpoint_fingerprint(data)
        key, entry = entries[digest]
        assert key == kind
        assert behaviour_distance(fresh["outputs"], entry["outputs"]) < 1e-6
        assert entry["projection"] == pytest.approx(fresh["projection"], rel=1e-9)
    assert all(e["flag"] for k in ("ctrnn", "eirnn") for e in stored[k]
               if not e.get("not_evidence"))


@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_copies_and_near_copies_are_recognised_others_are_not(key):
    """The parameter fingerprint (kept: it also catches an unpermuted copy after a few
    fine-tuning steps, whose behaviour has already parted from the shipped model's)."""
    shipped = _entry_of(key, _shipped(key))
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


# ---- behaviour: reparametrised copies, earlier releases, honest models -------------------
@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_a_reparametrised_shipped_model_is_caught_by_its_behaviour(key):
    ckpt = _shipped(key)
    copy = PERMUTE[key](ckpt)
    entry = _entry_of(key, ckpt)
    assert not is_shipped_model(copy["state_dict"], entry)      # the parameters differ ...
    mine = behaviour(_model(key, copy).double(), CLOSED_LOOP[key], lib)
    d = behaviour_distance(mine, entry["outputs"])
    # ... what it computes does not: float32 rounding of the rescaled E/I weights, amplified
    # over the 250-step closed loop, stays well inside the tolerance (2e-4 for the current
    # checkpoint), which honest models exceed tenfold (test_models_trained_honestly_...)
    assert d <= SHIPPED_BEHAVIOUR_ATOL / 3, d
    assert _is_flagged(key, copy)


@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_an_earlier_release_is_caught(key, tmp_path):
    """Checkpoints found only in git's history are fingerprinted and caught: a repository
    whose first commit shipped model A and whose second replaced it by B."""
    ckpt = _shipped(key)
    g = torch.Generator().manual_seed(5)
    earlier = {"state_dict": {k: v + 0.02 * v.abs().mean() * torch.randn(v.shape, generator=g)
                              for k, v in ckpt["state_dict"].items()}, "config": ckpt["config"]}
    folder = tmp_path / "source" / "04_dynamical_analysis" / "checkpoints"
    folder.mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    git = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True,
                                    capture_output=True)
    git("init", "-q")
    for version, message in ((earlier, "first release"), (ckpt, "second release")):
        torch.save(version, folder / f"{key}.pt")
        git("add", ".")
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    write_fingerprints(str(tmp_path))

    class Ref:                       # lib, reading the fingerprints written here
        __file__ = str(tmp_path / "lib" / "__init__.py")

        def __getattr__(self, name):
            return getattr(lib, name)

    stored = json.loads((tmp_path / "lib" / SHIPPED_FINGERPRINTS).read_text())
    assert len(stored[key]) == 2 and all(e["flag"] for e in stored[key])
    assert _is_flagged(key, PERMUTE[key](earlier), Ref())
    assert _is_flagged(key, PERMUTE[key](ckpt), Ref())
    # the real history: the second release's models (b744a02) were trained with seed 2026,
    # the year, which a student may pick: no evidence, never flagged
    assert not _is_flagged(key, _git_checkpoint("b744a02", key))


@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_the_first_releases_seed_0_model_is_no_evidence(key):
    """The first release shipped the models the notebooks' own recipe and seed (0) train:
    an honest student can hand in exactly that model, so it is stored (flag false) and never
    counted against anyone; the current checkpoints are."""
    first = _git_checkpoint(FIRST_RELEASE, key)
    entry = _entry_of(key, first)
    assert entry["flag"] is False and "seed 0" in entry["not_evidence"]
    assert not _is_flagged(key, first)
    assert not _is_flagged(key, PERMUTE[key](first))
    assert _is_flagged(key, _shipped(key))


@pytest.mark.parametrize("question_module,question,key", [
    ("hidden.a01_continuous_time_rnn", "ctrnn_model", "ctrnn"),
    ("hidden.a02_balanced_rate_network", "ei_model", "eirnn")])
def test_the_hidden_check_gives_a_reparametrised_copy_no_credit(question_module, question, key):
    import importlib
    check = next(q["check"] for q in importlib.import_module(question_module).QUESTIONS.questions
                 if q["name"] == question)
    for ckpt in (_shipped(key), PERMUTE[key](_shipped(key))):
        with pytest.raises(CheckFailed, match=SHIPPED_MESSAGE):
            check(InProcess({question: _model(key, ckpt)}), lib)
    # the same architecture with its own weights is graded on its merits (here: untrained,
    # randomly initialised: an E/I network's balance index lies near 0.3 then, so either
    # merit may be the first to fail; neither is the copy message)
    with pytest.raises(CheckFailed, match="one-step|balance index"):
        check(InProcess({question: getattr(lib, "EIRNN" if key == "eirnn" else "CTRNN")(
            **_shipped(key)["config"])}), lib)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["ctrnn", "eirnn"])
def test_models_trained_honestly_are_never_flagged(key):
    """The notebook's recipe (lib.train_ctrnn / train_eirnn) with seeds 0, 1, 2 and the year:
    none is flagged, each is far from every flagged shipped model (seed 0 is the first
    release's model, 2026 the second's: both are no evidence)."""
    from lib.ctrnn import train_ctrnn
    from lib.ei import train_eirnn
    from lib.task import lorenz_task
    train = train_eirnn if key == "eirnn" else train_ctrnn
    entries = _stored()[key]
    for seed in (0, 1, 2, 2026):     # 2026: the year, the seed of the second release
        model = train(lorenz_task(), seed=seed)[0]
        ckpt = {"state_dict": {k: v.detach().float() for k, v in model.state_dict().items()},
                "config": _shipped(key)["config"]}
        assert not _is_flagged(key, ckpt), seed
        mine = behaviour(_model(key, ckpt).double(), CLOSED_LOOP[key], lib)
        d = min(behaviour_distance(mine, e["outputs"]) for e in entries if e["flag"])
        assert d >= 10 * SHIPPED_BEHAVIOUR_ATOL, (seed, d)
