"""Trained models that later assignments ship to students (built from ``lib``, seeded).

    python -m tools.checkpoints [--force]

Writes ``checkpoints/ctrnn.pt`` and ``checkpoints/eirnn.pt`` into the source folders of
the assignments whose manifest entry lists them (``tools/assignments.py``: 04 and 05),
only when missing, unless ``--force``.  Each file holds
``{"state_dict", "config", "train_seconds"}`` (float32 weights, a few tens of KB)::

    ckpt = torch.load("checkpoints/ctrnn.pt")
    model = CTRNN(**ckpt["config"]); model.load_state_dict(ckpt["state_dict"])
"""

import argparse
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.assignments import CHECKPOINTS, with_step  # noqa: E402

SHIPPED_TO = [a.name for a in with_step("checkpoints")]
# A seed no notebook uses: a student who trains with the notebooks' recipe and seeds gets a
# model of their own, never a copy of the shipped one (the hidden checks of 01 and 02 refuse
# a copy, see write_fingerprints).
SHIPPED_SEED = 2026


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


def write_fingerprints(root=ROOT):
    """``lib/shipped_checkpoints.json``: fingerprints of the shipped checkpoints, so that the
    hidden checks of 01 and 02 can refuse a copied checkpoint (``grading.checks``)."""
    import json
    import torch
    from grading.checks import SHIPPED_FINGERPRINTS, fingerprint
    folder = os.path.join(root, "source", SHIPPED_TO[0], "checkpoints")
    out = {}
    for key in ("ctrnn", "eirnn"):
        path = os.path.join(folder, key + ".pt")
        if os.path.exists(path):
            out[key] = fingerprint(torch.load(path, map_location="cpu", weights_only=True)["state_dict"])
    target = os.path.join(root, "lib", SHIPPED_FINGERPRINTS)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="retrain even if present")
    args = parser.parse_args(argv)
    print(write_checkpoints(force=args.force))


if __name__ == "__main__":
    main()
