"""Course benchmark: speed, memory and quality of every assignment.

    python -m tools.benchmark [--only NAME] [--skip-quality]

Per assignment: execution time of the solution notebook, ``otter run`` time of the
solution with the real autograder (wall and CPU of the whole process tree), peak
memory of that process tree, and the quality figures of
``tools/quality/q<NN>_*.py``.  Writes ``benchmarks/latest.json`` and
``benchmarks/latest.md`` (its table also into the README; ``--only NAME`` replaces that
assignment's row and keeps the others), and prints the change against the previous run (kept as
``benchmarks/previous.json``) so that a regression shows.

Memory is the peak over time of the tree's summed PSS (proportional set size): each
physical page counted once, split among the processes that share it, which is what a
container's memory limit (Gradescope's 768 MB) charges.  Summed RSS counts a page once
per process that maps it; the grader and its workers share the preloaded PyTorch
image, so RSS would count it three times.  Both are recorded; the table shows PSS.

CPU is that of the processes the tree waits for (``getrusage`` of the children) plus the
sandbox workers' (``grading_cpu_seconds_workers``): a worker lives in a PID namespace of
its own and is reaped there, so its time never reaches ``getrusage``; it is read from
``/proc`` every 0.1 s while the worker runs (at most its last 0.1 s is missed).
"""

import argparse
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from grading.otter_run import otter_command, read_results, totals  # noqa: E402
from grading.sandbox import stat_fields  # noqa: E402
from tools.assignments import available, by_name  # noqa: E402
from tools.course import _env, build_autograder, execute_solution  # noqa: E402

OUT = os.path.join(ROOT, "benchmarks")


def _tree(root_pid):
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            children.setdefault(int(stat_fields(pid)[1]), []).append(int(pid))  # field 4: parent
        except (OSError, IndexError, ValueError):
            continue
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack += children.get(pid, [])
    return found


def _memory_kb(pid):
    """(PSS, RSS) of one process in kB (0, 0 once it has gone)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def tree_memory_mb(pids):
    """(summed PSS, summed RSS) of the processes ``pids``, in MB."""
    pss = rss = 0
    for pid in pids:
        p, r = _memory_kb(pid)
        pss, rss = pss + p, rss + r
    return pss / 1024, rss / 1024


def other_namespace_ticks(pids, seen):
    """Record in ``seen`` ({(pid, start time): CPU ticks}) the CPU time so far of each of
    ``pids`` that lives in another PID namespace than this process (a sandbox worker)."""
    own = os.readlink("/proc/self/ns/pid")
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == own:
                continue
            fields = stat_fields(pid)
            seen[(pid, fields[19])] = int(fields[11]) + int(fields[12])  # 22: start; 14, 15: CPU
        except (OSError, IndexError, ValueError):
            continue


def run_measured(cmd, cwd):
    """Run ``cmd``; return (wall s, CPU s of the process tree, CPU s of its sandbox
    workers (part of the former), peak tree memory MB as (PSS, RSS), rc)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak, workers = [0.0, 0.0], {}

    def watch():
        while proc.poll() is None:
            pids = _tree(proc.pid)
            pss, rss = tree_memory_mb(pids)
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
            other_namespace_ticks(pids, workers)
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    rc = proc.wait()
    thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = sum(workers.values()) / os.sysconf("SC_CLK_TCK")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + worker_cpu
    return time.monotonic() - t0, cpu, worker_cpu, tuple(peak), rc


def quality(name):
    """The assignment's quality figures (``{}`` when it has no quality script)."""
    module = by_name(name).quality_module(ROOT)
    return importlib.import_module(module).measure() if module else {}


def bench(name, with_quality=True):
    work = tempfile.mkdtemp(prefix="bench-")
    try:
        t0 = time.monotonic()
        nb = execute_solution(name, out_root=work)
        exec_s = time.monotonic() - t0
        zip_path = build_autograder(name, out_dir=work)
        out = os.path.join(work, "otter-out")
        os.makedirs(out)
        wall, cpu, worker_cpu, peak, rc = run_measured(otter_command(zip_path, nb, out), out)
        score, max_score = totals(read_results(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = {"assignment": name, "solution_seconds": round(exec_s, 1),
           "grading_wall_seconds": round(wall, 1), "grading_cpu_seconds": round(cpu, 1),
           "grading_cpu_seconds_workers": round(worker_cpu, 1),
           "grading_peak_mb": round(peak[0]), "grading_peak_rss_sum_mb": round(peak[1]), "score": score, "max_score": max_score}
    if with_quality:
        row["quality"] = quality(name)
    return row


def markdown(rows):
    lines = ["| assignment | solution run (s) | grading wall (s) | grading CPU (s) | grading peak PSS (MB) | score |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['assignment']} | {r['solution_seconds']} | {r['grading_wall_seconds']} | "
                     f"{r['grading_cpu_seconds']} | {r['grading_peak_mb']} | {r['score']:g}/{r['max_score']:g} |")
    total = sum(r["solution_seconds"] for r in rows)
    lines.append(f"\nAll solutions: {total:.0f} s.\n")
    for r in rows:
        if r.get("quality"):
            figures = ", ".join(f"{k} = {v}" for k, v in r["quality"].items())
            lines.append(f"- {r['assignment']}: {figures}")
    return "\n".join(lines) + "\n"


README = os.path.join(ROOT, "README.md")
TABLE_START = "<!-- benchmark table: written by python -m tools.benchmark -->"
TABLE_END = "<!-- end of benchmark table -->"
QUALITY_START = "<!-- quality figures: written by python -m tools.benchmark -->"
QUALITY_END = "<!-- end of quality figures -->"

# The README's quality sentence: per assignment, (quality key, label, format); keys a run
# did not measure are left out.  The numbers come from the run, never from a hand.
QUALITY_SUMMARY = {
    "01_continuous_time_rnn": [("one_step_error_test", "one-step error", "{:.1e}"),
                               ("vpt_median_lyapunov_times", "median valid prediction time", "{:.2f} Lyapunov times"),
                               ("max_lyapunov", "largest exponent", "{:.3f}"),
                               ("flow_held_out_vpt_mean_std", "the flow trained through the adjoint, held-out VPT over 3 seeds (mean, std)", "{}"),
                               ("flow_held_out_readout_only_vpt_mean_std", "readout only", "{}")],
    "02_balanced_rate_network": [("balance_index_K5", "balance index for K = 5", "{:.2f}"),
                                 ("balance_index_K80", "for K = 80", "{:.2f}"),
                                 ("trained_balance_index", "trained without the penalty", "{:.2f}"),
                                 ("graded_held_out_balance_index", "the graded network (with the penalty) on held-out data", "{:.2f}"),
                                 ("graded_held_out_one_step_error", "one-step error", "{:.4f}"),
                                 ("graded_held_out_vpt_median", "median VPT", "{:.2f}")],
    "03_balanced_spiking_network": [("ai_mean_rate_hz", "g = 8 network rate", "{:.1f} Hz"),
                                    ("ai_mean_cv_isi", "CV", "{:.2f}"),
                                    ("ai_silent_fraction", "silent fraction", "{:.1%}"),
                                    ("ai_mean_input_minus_threshold",
                                     "mean input minus threshold", "{:+.2f} threshold units"),
                                    ("reservoir_mean_cv_isi", "reservoir CV", "{:.2f}")],
    "04_dynamical_analysis": [("lyap_lorenz", "Lorenz spectrum over 50,000 QR steps", "{}"),
                              ("lorenz_fixed_points_found", "fixed points found", "{}"),
                              ("ctrnn_max_lyapunov", "CT-RNN largest exponent", "{:.3f}"),
                              ("eirnn_max_lyapunov", "E/I RNN largest exponent", "{:.3f}")],
}


def quality_sentence(rows):
    """The README's quality figures of ``rows`` (a benchmark's rows), one clause per
    assignment of ``QUALITY_SUMMARY``."""
    parts = []
    for r in rows:
        spec = QUALITY_SUMMARY.get(r["assignment"])
        q = r.get("quality") or {}
        if not spec:
            continue
        figures = [f"{label} {fmt.format(q[key])}" for key, label, fmt in spec if key in q]
        if figures:
            parts.append(f"{r['assignment'][:2]} " + ", ".join(figures))
    return ("Quality figures of that run (full list in `benchmarks/latest.md`; each notebook "
            "prints its own on the machine that runs it): " + "; ".join(parts) + ".")


def table_of(markdown_text):
    """The table and total line of a benchmark's Markdown (without the quality list)."""
    return markdown_text.split("\n- ")[0].strip()


def update_readme(text, path=README, rows=None):
    """Put the table of ``text`` between the README's benchmark markers and, given the
    run's ``rows``, its quality sentence between the quality markers."""
    from tools.readme import write_section
    write_section(TABLE_START, TABLE_END, table_of(text), path)
    if rows is not None:
        write_section(QUALITY_START, QUALITY_END, quality_sentence(rows), path)


def compare(rows, previous):
    old = {r["assignment"]: r for r in previous}
    for r in rows:
        o = old.get(r["assignment"])
        if not o:
            continue
        for key in ("solution_seconds", "grading_cpu_seconds", "grading_peak_mb"):
            if key == "grading_peak_mb" and "grading_peak_rss_sum_mb" not in o:
                continue  # that run measured summed RSS: not comparable
            if key == "grading_cpu_seconds" and "grading_cpu_seconds_workers" not in o:
                r_key = r[key] - r["grading_cpu_seconds_workers"]   # that run missed the workers
                change = (r_key - o[key]) / o[key] if o.get(key) else 0.0
                print(f"{r['assignment']:30s} {key:22s} {o[key]:>8} -> {r_key:>8.1f} without "
                      f"the workers ({change:+.0%}); {r[key]} with them")
                continue
            if o.get(key):
                change = (r[key] - o[key]) / o[key]
                flag = "  <-- REGRESSION" if change > 0.2 else ""
                print(f"{r['assignment']:30s} {key:22s} {o[key]:>8} -> {r[key]:>8} ({change:+.0%}){flag}")


def merge_rows(previous, rows, order=()):
    """The latest rows: ``previous`` with each assignment in ``rows`` replaced (or added),
    so that ``--only NAME`` updates its row and keeps the others; in ``order`` (the
    manifest's), assignments it does not list last."""
    merged = {r["assignment"]: r for r in previous}
    merged.update({r["assignment"]: r for r in rows})
    rank = {name: i for i, name in enumerate(order)}
    return sorted(merged.values(), key=lambda r: (rank.get(r["assignment"], len(rank)),
                                                 r["assignment"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    names = [a.name for a in available(ROOT) if not args.only or a.name == args.only]
    rows = []
    for name in names:
        print(f"benchmarking {name} ...", flush=True)
        rows.append(bench(name, with_quality=not args.skip_quality))
    os.makedirs(OUT, exist_ok=True)
    latest = os.path.join(OUT, "latest.json")
    previous = []
    if os.path.exists(latest):
        with open(latest) as f:
            previous = json.load(f)["rows"]
        shutil.copy(latest, os.path.join(OUT, "previous.json"))
        compare(rows, previous)
    rows = merge_rows(previous, rows, [a.name for a in available(ROOT)])
    with open(latest, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, f, indent=1)
    text = markdown(rows)
    with open(os.path.join(OUT, "latest.md"), "w") as f:
        f.write(text)
    update_readme(text, rows=rows)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
