"""Red team (issue 24): the grading process's memory does not follow the submission.

Each case hands a hidden check the values an attacking notebook can send (decoded as the
grader decodes them, each within the codec's frame limits) and measures how much the
grading process's resident memory grows while the check runs, in a fresh interpreter
(peak RSS reset with /proc/self/clear_refs before the check).  Before issue 24 a
``ctrnn_model`` of many small-dtype parameters made the fingerprint build a matrix of 512
bytes per parameter (1.6 GB for a 3 MB message), and a ``find_fixed_points`` returning
millions of rows was broadcast against the known points (1.7 GB): Gradescope's default box
has 768 MB for everything.  Now such values are refused from their shapes and dtypes,
before anything of their size is built.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from notebooks import ROOT

GROWTH_LIMIT_MB = 64     # what one check may add to the grading process, attack or not
TOTAL_LIMIT_MB = 600     # the grading process's peak (with PyTorch, NumPy and lib loaded)

PRELUDE = textwrap.dedent('''
    import json, resource, sys
    import numpy as np
    import torch
    import lib
    from grading import codec, fixtures
    from grading.checks import CheckFailed, Fixture

    def received(value):
        """``value`` as the grader receives it: encoded, one frame within the limits, decoded."""
        frame = codec.dumps(codec.encode(value)).encode()
        codec.check_frame(frame)
        return codec.decode(codec.loads(frame))

    def rss_mb(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    class Fake:
        """The submission proxy, answering with values decoded in advance."""
        def __init__(self, params=None, attrs=None, call=None):
            self.info = received({"params": params or {}, "attrs": attrs or {}, "type": "M"})
            self.answer = call
        def get_params(self, target, attrs=(), timeout=None):
            return self.info
        def call(self, target, *args, return_args=False, timeout=None, **kwargs):
            value = self.answer(target, *args, **kwargs)
            return (value, {"args": list(args)}) if return_args else value

    def measure(check, warm_up=None):
        """Run ``check`` and report its verdict and how much the peak RSS grew while it ran
        (after ``warm_up``: the same check on honest values, so that what PyTorch and BLAS
        allocate once per process is not counted)."""
        import gc
        if warm_up is not None:
            try:
                warm_up()
            except CheckFailed:
                pass
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")          # resets the peak (VmHWM) to the current RSS
        except OSError:
            pass
        before = rss_mb("VmHWM")
        try:
            check()
            message = "passed"
        except CheckFailed as e:
            message = str(e)
        peak = rss_mb("VmHWM")
        print(json.dumps({"message": message, "grew_mb": peak - before, "peak_mb": peak}))
''')


def run_case(body):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(result)
    assert result["grew_mb"] < GROWTH_LIMIT_MB, result
    assert result["peak_mb"] < TOTAL_LIMIT_MB, result
    return result


CTRNN_MODEL = '''
    from hidden import a01_continuous_time_rnn as H
    N, dtype, extra = {N}, torch.{dtype}, {extra}
    p = {{"W_rec": torch.ones(N, N, dtype=dtype), "W_in": torch.ones(N, 3, dtype=dtype),
          "b": torch.ones(N, dtype=dtype), "readout.weight": torch.ones(3, N, dtype=dtype),
          "readout.bias": torch.ones(3, dtype=dtype)}}
    p.update({{f"extra{{i}}": torch.ones(1, dtype=dtype) for i in range(extra)}})
    sub = Fake(p, {{"tau": 0.04, "dt": 0.01}})
    del p
    measure(lambda: H.ctrnn_model(sub, lib))
'''


@pytest.mark.parametrize("N,dtype,extra,refusal", [
    (1700, "int8", 0, "hidden units"),        # the 3 MB message
    (4000, "bool", 0, "hidden units"),        # 16 MB of one-byte parameters
    (1000, "float16", 0, "dtype"),
    (1000, "int8", 0, "dtype"),
    (128, "float32", 20_000, "named parameters"),
], ids=["int8-1700", "bool-4000", "float16-1000", "int8-1000", "many-parameters"])
def test_an_oversized_ctrnn_model_is_refused_from_its_shapes(N, dtype, extra, refusal):
    result = run_case(CTRNN_MODEL.format(N=N, dtype=dtype, extra=extra))
    assert refusal in result["message"], result


def test_an_oversized_ei_model_is_refused_from_its_shapes():
    result = run_case('''
        from hidden import a02_balanced_rate_network as H
        n_exc, n_inh, dtype = 1360, 340, torch.int8
        N = n_exc + n_inh
        p = {"W_rec_raw": torch.ones(N, N, dtype=dtype), "W_in": torch.ones(N, 3, dtype=dtype),
             "b": torch.ones(N, dtype=dtype), "readout.weight": torch.ones(3, n_exc, dtype=dtype),
             "readout.bias": torch.ones(3, dtype=dtype)}
        sub = Fake(p, {"n_exc": n_exc, "n_inh": n_inh, "tau_E": 0.06, "tau_I": 0.03, "dt": 0.01,
                       "W_rec": None})
        del p
        measure(lambda: H.ei_model(sub, lib))
    ''')
    assert "units" in result["message"], result


def test_the_fingerprint_compares_shapes_before_projecting():
    """``is_shipped_model`` on a large model of other shapes: False at no cost."""
    result = run_case('''
        from grading.checks import is_shipped_model, SHIPPED_FINGERPRINTS
        import os
        with open(os.path.join(os.path.dirname(lib.__file__), SHIPPED_FINGERPRINTS)) as f:
            shipped = json.load(f)["ctrnn"][-1]
        N = 1700
        p = received({"W_rec": torch.ones(N, N, dtype=torch.int8),
                      "W_in": torch.ones(N, 3, dtype=torch.int8)})
        def check():
            if is_shipped_model(p, shipped):
                raise CheckFailed("shipped")
        measure(check)
    ''')
    assert result["message"] == "passed", result


FIXED_POINTS = '''
    from hidden import a04_dynamical_analysis as H

    def honest(target, F, h0, **kw):
        return lib.find_fixed_points(fixtures.build(F.name, F.params), h0, **kw)
    answers = {{}}       # computed during the warm-up: the check measured, not lib

    def answer(target, F, h0, **kw):
        key = (F.name, str(F.params), tuple(h0.shape), str(sorted(kw.items())))
        if key not in answers:
            answers[key] = received(honest(target, F, h0, **kw))
        return answers[key]
    many = received(torch.zeros(4_000_000, 2, dtype=torch.float16))

    def attack(target, F, h0, **kw):
        return many if kw.get("n_iter") == 2000 else answer(target, F, h0, **kw)
    measure(lambda: H.find_fixed_points(Fake(call={which}), lib),
            warm_up=lambda: H.find_fixed_points(Fake(call=answer), lib))
'''


def test_millions_of_fixed_points_are_refused_before_any_broadcast():
    result = run_case(FIXED_POINTS.format(which="attack"))
    assert "at most one point per starting state" in result["message"], result


def test_the_solution_is_measured_alike():
    """The measurement itself: the reference's answers pass, and cost little."""
    result = run_case(FIXED_POINTS.format(which="answer"))
    assert result["message"] == "passed", result
