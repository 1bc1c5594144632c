"""Trained models that later assignments ship to students (built from ``lib``, seeded).

    python -m tools.checkpoints [--force]

Writes ``checkpoints/ctrnn.pt`` and ``checkpoints/eirnn.pt`` into the source folders of
04 and 05 (only when missing, unless ``--force``).  Each file holds
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

SHIPPED_TO = ["04_dynamical_analysis", "05_synthesis"]


def _save(model, info, path):
    import torch
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    state = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "config": dict(info["config"]),
                "train_seconds": round(float(info["seconds"]), 1)}, path)
    return path


def save_ctrnn_checkpoint(path, seed=0):
    import torch
    from lib.ctrnn import train_ctrnn
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    return _save(*train_ctrnn(lorenz_task(), seed=seed), path)


def save_eirnn_checkpoint(path, seed=0):
    import torch
    from lib.ei import train_eirnn
    from lib.task import lorenz_task
    torch.set_num_threads(1)
    return _save(*train_eirnn(lorenz_task(), seed=seed), path)


def write_checkpoints(root=ROOT, force=False):
    """Train once, copy into every assignment that ships the checkpoints."""
    first = os.path.join(root, "source", SHIPPED_TO[0], "checkpoints")
    for name, save in (("ctrnn.pt", save_ctrnn_checkpoint), ("eirnn.pt", save_eirnn_checkpoint)):
        targets = [os.path.join(root, "source", a, "checkpoints", name) for a in SHIPPED_TO
                   if os.path.isdir(os.path.join(root, "source", a))]
        if not targets:
            continue
        if force or not os.path.exists(targets[0]):
            save(targets[0])
        for t in targets[1:]:
            os.makedirs(os.path.dirname(t), exist_ok=True)
            shutil.copyfile(targets[0], t)
    return first


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="retrain even if present")
    args = parser.parse_args(argv)
    print(write_checkpoints(force=args.force))


if __name__ == "__main__":
    main()
