"""Trained models that later assignments ship to students (built from ``lib``, seeded).

    python -m tools.checkpoints [--force]
    python -m tools.checkpoints --fingerprints-only   # lib/shipped_checkpoints.json only

Writes ``checkpoints/ctrnn.pt`` and ``checkpoints/eirnn.pt`` into the source folders of
the assignments whose manifest entry lists them (``tools/assignments.py``: 04 and 05),
only when missing, unless ``--force``.  Each file holds
``{"state_dict", "config", "train_seconds"}`` (float32 weights, a few tens of KB)::

    ckpt = torch.load("checkpoints/ctrnn.pt")
    model = CTRNN(**ckpt["config"]); model.load_state_dict(ckpt["state_dict"])
"""

import argparse
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.assignments import CHECKPOINTS, with_step  # noqa: E402

SHIPPED_TO = [a.name for a in with_step("checkpoints")]
# A seed no notebook uses and no student plausibly picks (not 0-100, not a year, not a
# famous number): a student who trains with the notebooks' recipe and any seed of their own
# gets a model of their own, never a copy of the shipped one (the hidden checks of 01 and 02
# refuse a copy, see write_fingerprints).  The second release trained with 2026, the year:
# the recipe with that seed reproduced the shipped models and the check refused an honest
# student; those files are in NOT_EVIDENCE.
SHIPPED_SEED = 770431689


def _save(model, info, path):
    import torch
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    state = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "config": dict(info["config"]),
                "train_seconds": round(float(info["seconds"]), 1)}, path)
    return path


def save_ctrnn_checkpoint(path, seed=SHIPPED_SEED):
    import torch
    from lib.ctrnn import train_ctrnn
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    return _save(*train_ctrnn(lorenz_task(), seed=seed), path)


def save_eirnn_checkpoint(path, seed=SHIPPED_SEED):
    import torch
    from lib.ei import train_eirnn
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    return _save(*train_eirnn(lorenz_task(), seed=seed), path)


def write_checkpoints(root=ROOT, force=False):
    """Train once, copy into every assignment that ships the checkpoints."""
    first = os.path.join(root, "source", SHIPPED_TO[0], "checkpoints")
    savers = {"ctrnn": save_ctrnn_checkpoint, "eirnn": save_eirnn_checkpoint}
    for name in CHECKPOINTS:
        save = savers[os.path.splitext(os.path.basename(name))[0]]
        targets = [os.path.join(root, "source", a, name) for a in SHIPPED_TO
                   if os.path.isdir(os.path.join(root, "source", a))]
        if not targets:
            continue
        if force or not os.path.exists(targets[0]):
            save(targets[0])
        for t in targets[1:]:
            os.makedirs(os.path.dirname(t), exist_ok=True)
            shutil.copyfile(targets[0], t)
    write_fingerprints(root)
    return first


# Checkpoints that releases shipped but that are no evidence of copying: the notebook's own
# recipe with its own seed reproduces them bit for bit, so an honest student can hand in the
# very same model.  The first release (5cefbfd) shipped models trained with seed 0, the seed
# of 01's and 02's training cells: lib.train_ctrnn(seed=0) and lib.train_eirnn(seed=0) give
# the same outputs (behaviour distance 0.0); the second release's were trained with 2026, the
# year, a seed a student may pick.  They stay in the file, with ``flag: false``.
NOT_EVIDENCE = {
    "1d7d574c9e1ec9bcc5d1f42449158da0e7ac48eda152f6d938d4210478111b99":
        "seed 0 (01's training cell): lib.train_ctrnn(seed=0) reproduces it",
    "4e55755f8702b8538264f1f0db40abd0146dc1019fa2595a1cc16bfd7e494cbe":
        "seed 0 (02's training cell): lib.train_eirnn(seed=0) reproduces it",
    "ac068caf63e9e106525e4d3208c65c6a327d621bbc92039780d23ed1b9f3f8b5":
        "seed 2026 (the year; the second release's SHIPPED_SEED): lib.train_ctrnn(seed=2026) reproduces it",
    "da08bcc68ed0fa1bea91017ae45dbf4bdaed56c2fa441fe8374024aac5d3c13d":
        "seed 2026 (the year; the second release's SHIPPED_SEED): lib.train_eirnn(seed=2026) reproduces it",
}
KINDS = ("ctrnn", "eirnn")
OUTPUT_DIGITS = 8             # significant digits stored (float32's precision)


def _git(root, *args):
    import subprocess
    try:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def shipped_checkpoint_files(root=ROOT):
    """``{sha256: (bytes, [where])}`` of every checkpoint file (``ctrnn.pt``, ``eirnn.pt``)
    any release shipped: those in the work tree (``source/`` and ``release/``) and every
    version git's history holds (all branches), where ``where`` names ``commit:path``."""
    import glob
    import hashlib
    found = {}

    def add(data, where):
        digest = hashlib.sha256(data).hexdigest()
        found.setdefault(digest, (data, []))[1].append(where)

    for top in ("source", "release"):
        for path in sorted(glob.glob(os.path.join(root, top, "*", "checkpoints", "*.pt"))):
            with open(path, "rb") as f:
                add(f.read(), os.path.relpath(path, root))
    log = _git(root, "log", "--all", "--format=commit %H", "--name-only", "--",
               "source/*/checkpoints/*.pt", "release/*/checkpoints/*.pt")
    commit = None
    for line in (log or b"").decode().splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.strip() and commit:
            data = _git(root, "show", f"{commit}:{line.strip()}")
            if data:                      # None where the commit deleted the file
                add(data, f"{commit[:7]}:{line.strip()}")
    return found


def checkpoint_fingerprint(data):
    """``(kind, entry)`` of one checkpoint file's bytes: its parameter fingerprint and its
    behaviour on the grader's inputs (``grading.checks.behaviour``), never its weights."""
    import io
    import torch
    import lib
    from grading.checks import behaviour, fingerprint
    ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    state, config = ckpt["state_dict"], dict(ckpt["config"])
    kind = "eirnn" if "W_rec_raw" in state else "ctrnn"
    model = (lib.EIRNN if kind == "eirnn" else lib.CTRNN)(**config)
    model.load_state_dict(state, strict=False)
    model = model.double()
    closed_loop = lib.ei_closed_loop if kind == "eirnn" else lib.closed_loop
    out = behaviour(model, closed_loop, lib)
    entry = {"config": config, **fingerprint(state),
             "outputs": [[float(f"{v:.{OUTPUT_DIGITS}g}") for v in row] for row in out]}
    return kind, entry


def write_fingerprints(root=ROOT):
    """``lib/shipped_checkpoints.json``: for every checkpoint any release of the course has
    shipped (:func:`shipped_checkpoint_files`), its behaviour and parameter fingerprints, so
    that the hidden checks of 01 and 02 can refuse a copy, however reparametrised
    (``grading.checks.expect_not_shipped``).  Trains nothing.  Entries already in the file
    whose checkpoint is no longer found (a clone without history) are kept: a checkpoint
    once shipped stays shipped."""
    import json
    from grading.checks import (BEHAVIOUR_CLOSED_LOOP, BEHAVIOUR_ONE_STEP, BEHAVIOUR_WARMUP,
                                BEHAVIOUR_X0, SHIPPED_FINGERPRINTS)
    protocol = {"x0": list(BEHAVIOUR_X0), "warmup": BEHAVIOUR_WARMUP,
                "one_step": BEHAVIOUR_ONE_STEP, "closed_loop": BEHAVIOUR_CLOSED_LOOP}
    target = os.path.join(root, "lib", SHIPPED_FINGERPRINTS)
    out = {"protocol": protocol, **{k: [] for k in KINDS}}
    for digest, (data, where) in sorted(shipped_checkpoint_files(root).items()):
        kind, entry = checkpoint_fingerprint(data)
        same = next((e for e in out[kind] if e["outputs"] == entry["outputs"]
                     and e["projection"] == entry["projection"]), None)
        if same is None:
            out[kind].append({"sha256": [], "shipped_in": [], "flag": True, **entry})
            same = out[kind][-1]
        same["sha256"].append(digest)
        same["shipped_in"] = sorted(set(same["shipped_in"]) | set(where))
    try:
        with open(target, encoding="utf-8") as f:
            old = json.load(f)
    except (OSError, ValueError):
        old = {}
    if old.get("protocol") == protocol:
        for kind in KINDS:
            known = {d for e in out[kind] for d in e["sha256"]}
            out[kind] += [e for e in old.get(kind, []) if not set(e["sha256"]) & known]
    for kind in KINDS:
        for e in out[kind]:
            reasons = [NOT_EVIDENCE[d] for d in e["sha256"] if d in NOT_EVIDENCE]
            e["flag"] = not reasons
            e.pop("not_evidence", None)
            if reasons:
                e["not_evidence"] = reasons[0]
    text = json.dumps(out, indent=1)
    # one line per list of numbers (an output row, a projection): a file of 4 models ~40 KB
    text = re.sub(r"\[\s*(-?[0-9][^\[\]\"]*?)\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    with open(target, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="retrain even if present")
    parser.add_argument("--fingerprints-only", action="store_true",
                        help="train nothing: rewrite lib/shipped_checkpoints.json from the "
                             "checkpoints in the work tree and in git's history")
    args = parser.parse_args(argv)
    if args.fingerprints_only:
        print(write_fingerprints())
        return
    print(write_checkpoints(force=args.force))


if __name__ == "__main__":
    main()
