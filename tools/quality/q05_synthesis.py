"""Quality figures of 05_synthesis: the controlled comparison's headline numbers.

    python -m tools.quality.q05_synthesis

Reads ``source/05_synthesis/data/architecture_metrics.json`` (written from lib by
``python -m tools.synthesis_metrics``; ``tests/science/test_synthesis_protocol.py`` checks
that its numbers are the shared protocol's) and reports, per row, the valid prediction time
(first seed, and the mean and range over the seeds), the largest exponent and the
state-space divergence against the Lorenz-vs-Lorenz floor, and the balance index.
Goals: every trained or random row has >= 3 seeds and every column of issue 14 (VPT of all
three architectures, the reference values) is filled.
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATH = os.path.join(ROOT, "source", "05_synthesis", "data", "architecture_metrics.json")
SHORT = {"CT-RNN": "ctrnn", "CT-RNN, readout only": "ctrnn_readout", "E/I rate RNN": "eirnn",
         "E/I rate RNN without Dale": "eirnn_nodale", "balanced E/I rate RNN": "eirnn_balanced",
         "echo state network": "esn", "spiking reservoir": "spiking",
         "quadratic ridge (baseline)": "quadratic_ridge", "linear AR(3) (baseline)": "ar3"}


def _r(v, n=3):
    return None if v is None else round(float(v), n)


def measure():
    with open(PATH, encoding="utf-8") as f:
        data = json.load(f)
    out, floor = {}, data["reference"]
    out["floor_state_space_divergence"] = _r(floor.get("state_space_divergence"))
    out["floor_power_spectrum_distance"] = _r(floor.get("power_spectrum_distance"))
    for name, key in SHORT.items():
        row = data["architectures"].get(name, {})
        out[f"{key}_vpt"] = _r(row.get("valid_prediction_time"), 2)
        stats = data.get("seeds", {}).get(name, {}).get("summary", {}).get("valid_prediction_time")
        if stats and stats.get("mean") is not None:
            out[f"{key}_vpt_seeds"] = (f"{stats['mean']:.2f} [{stats['min']:.2f}, "
                                       f"{stats['max']:.2f}]")
        out[f"{key}_max_lyapunov"] = _r(row.get("max_lyapunov"))
        d = row.get("state_space_divergence")
        if d is not None and floor.get("state_space_divergence"):
            out[f"{key}_dstsp_x_floor"] = _r(d / floor["state_space_divergence"], 1)
        if row.get("balance_index") is not None:
            out[f"{key}_balance_index"] = _r(row["balance_index"])
    seeded = data.get("seeds", {})
    out["rows_with_3_seeds"] = sum(len(v.get("seeds", [])) >= 3 for v in seeded.values())
    out["goals_met"] = bool(seeded and all(len(v.get("seeds", [])) >= 3 for v in seeded.values())
                            and all(data["architectures"][n].get("valid_prediction_time")
                                    is not None for n in ("CT-RNN", "E/I rate RNN",
                                                          "spiking reservoir"))
                            and floor.get("state_space_divergence") is not None)
    return out


if __name__ == "__main__":
    for key, value in measure().items():
        print(f"{key:40s} {value}")
