"""The vocabulary of hidden checks: questions, the submission proxy and comparisons.

A hidden-check module (``hidden/aNN_*.py``, never handed to students) registers one
function per graded question::

    QUESTIONS = Registry()

    @QUESTIONS.question("lorenz_rhs", points=2)
    def lorenz_rhs(sub, ref):
        x = rng(1).normal(size=(4, 5, 3))
        got = sub.call("lorenz_rhs", x, 9.0, 30.0, 2.5)
        expect_close(got, ref.lorenz_rhs(x, 9.0, 30.0, 2.5), "lorenz_rhs(x, ...) on a batch ...")

``sub`` calls the student's code in the sandbox and returns decoded values; ``ref`` is
the reference package ``lib``.  A check passes by returning and fails by raising
:class:`CheckFailed` with a message for the student: what was checked, never how the
reference computes it.  Each question is all-or-nothing.
"""

import builtins
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .records import Record
from .sandbox import WorkerDied, WorkerTimeout


class CheckFailed(AssertionError):
    """A check did not pass; the message is shown to the student."""


class StudentError(CheckFailed):
    """The student's code raised an exception; ``kinds`` names its class and the classes
    it derives from (so a subclass of ``ValueError`` counts as a ``ValueError``)."""

    def __init__(self, message, kinds=()):
        super().__init__(message)
        self.kinds = tuple(kinds)


@dataclass(frozen=True)
class Question(Record):
    """One graded question: ``check(sub, ref)`` passes by returning (all ``points``) and
    fails by raising :class:`CheckFailed` (none).  ``timeout``: the CPU seconds each of its
    sandbox calls may take (default: the assignment's ``call_timeout``).  ``extension``: an
    exercise of an "Optional" section, graded only when the assignment's manifest entry
    sets ``grade_extensions`` (``tools/assignments.py``); students always have its public
    self-check."""
    name: str
    points: float
    check: Callable
    timeout: Optional[float] = None
    extension: bool = False


class Registry:
    """The questions of one hidden module, in grading order (``questions``: all of them,
    extensions included)."""

    def __init__(self):
        self.questions = []

    def question(self, name, points, timeout=None, extension=False):
        def register(fn):
            self.questions.append(Question(name, points, fn, timeout, extension))
            return fn
        return register

    def graded(self, extensions=False):
        """The questions a grading scores: the core, plus the extensions when asked."""
        return [q for q in self.questions if extensions or not q.extension]

    @property
    def extensions(self):
        """The names of the extension questions."""
        return [q.name for q in self.questions if q.extension]

    @property
    def points(self):
        """``{question: points}`` of the core (what is graded by default)."""
        return {q["name"]: q["points"] for q in self.graded()}


def rng(seed):
    """The random generator every check draws its inputs from (fixed seeds)."""
    return np.random.default_rng(seed)


# ---- values that travel to the worker -------------------------------------------------
class Fixture:
    def __init__(self, name, **params):
        self.name, self.params = name, params

    def __codec__(self):
        from .codec import encode
        return {"__fixture__": self.name, "params": encode(self.params)}


class Handle:
    """An object kept in the worker (a model instance); ``.attr`` names an attribute."""

    def __init__(self, name, attr=None):
        self.name, self.attr = name, attr

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return Handle(self.name, f"{self.attr}.{attr}" if self.attr else attr)

    def __codec__(self):
        return {"__handle__": self.name}

    def target(self):
        return {"handle": self.name, "attr": self.attr} if self.attr else {"handle": self.name}


class Global(Handle):
    """A name in the notebook's namespace (``Global("torch").get_default_dtype``,
    ``Global("reservoir_washout", "__index__")``); ``.attr`` names an attribute."""

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return Global(self.name, f"{self.attr}.{attr}" if self.attr else attr)

    def __codec__(self):
        raise TypeError("a Global is a call target, not a value")

    def target(self):
        return {"name": self.name, "attr": self.attr} if self.attr else {"name": self.name}


class SeededGenerator:
    """A ``torch.Generator`` built in the worker with ``manual_seed(seed)``."""

    def __init__(self, seed):
        self.seed = seed

    def __codec__(self):
        return {"__generator__": int(self.seed)}


class Submission:
    """Proxy for the student's notebook namespace in the sandbox."""

    def __init__(self, sandbox, default_timeout=30.0):
        self.sandbox = sandbox
        self.default_timeout = default_timeout

    def _request(self, message, timeout):
        from . import codec
        try:
            reply = self.sandbox.request(message, timeout or self.default_timeout)
        except WorkerTimeout:
            raise CheckFailed(
                f"a call did not finish within {timeout or self.default_timeout:.0f} s "
                "(infinite loop, or far too slow?)") from None
        except WorkerDied as e:
            raise CheckFailed(
                f"the notebook's process stopped during this check ({e}); code that calls "
                "exit(), crashes the interpreter or uses too much memory cannot be graded") from None
        if not reply.get("ok"):
            kind = str(reply.get("error", "Exception"))[:60]
            text = str(reply.get("message", ""))[:200]
            if kind == "NameError" and "is not defined" in text:
                raise CheckFailed(f"{text}: define it in its exercise cell (and keep its name)")
            if kind == "NotImplementedError":
                raise StudentError("raised NotImplementedError: the exercise is not done yet")
            if kind == "EncodeError":
                raise CheckFailed("returned a value that cannot be read back (wrong type?)")
            # Only the names of Python's own exceptions are echoed: a class name or a
            # message chosen by the notebook could carry the grader's inputs out.
            shown = kind if isinstance(getattr(builtins, kind, None), type) else "an exception"
            raise StudentError(f"raised {shown} on the grader's inputs (its message is not shown)",
                               kinds=[str(k) for k in reply.get("bases") or [kind]])
        try:
            decoded = {k: codec.decode(v) for k, v in reply.items()
                       if k in ("value", "grads", "args")}
        except (codec.DecodeError, ValueError, TypeError):
            raise CheckFailed("returned a value of a type the grader does not accept") from None
        return decoded

    def names(self, *names):
        return self._request({"op": "names", "names": list(names)}, 30)["value"]

    def call(self, target, *args, keep=None, swap=None, timeout=None, grad_wrt=None,
             grad_weights=None, return_args=False, no_grad=False, **kwargs):
        """Call ``target`` (a name or a :class:`Handle`) in the sandbox.

        Returns the decoded result, or ``(result, extras)`` when ``grad_wrt`` or
        ``return_args`` ask for gradients or the arguments after the call.
        """
        from .codec import encode
        msg = {"op": "call",
               "target": target.target() if isinstance(target, Handle) else target,
               "args": encode(list(args)), "kwargs": encode(kwargs),
               "keep": keep, "no_grad": no_grad, "return_args": return_args,
               "grad_wrt": grad_wrt or [],
               "grad_weights": encode(grad_weights) if grad_weights is not None else None,
               "swap": {k: encode(v) for k, v in (swap or {}).items()}}
        reply = self._request(msg, timeout)
        if keep:
            return Handle(keep)
        if grad_wrt or return_args:
            return reply["value"], reply
        return reply["value"]

    def keep(self, module, name):
        """Build ``module`` (a :class:`Fixture` of an ``nn.Module``) in the worker and keep it
        there as a :class:`Handle` called ``name`` (``nn.Module.train`` returns the module)."""
        return self.call(Global("torch").nn.Module.train, module, keep=name)

    def set_params(self, target, params, timeout=None):
        from .codec import encode
        t = target.target() if isinstance(target, Handle) else target
        self._request({"op": "set_params", "target": t, "params": encode(params)}, timeout)

    def get_params(self, target, attrs=(), timeout=None):
        t = target.target() if isinstance(target, Handle) else target
        return self._request({"op": "get_params", "target": t, "attrs": list(attrs)},
                             timeout)["value"]


# ---- comparisons ----------------------------------------------------------------------
def as_numpy(value, what):
    """Convert a returned array/tensor/number to float64 NumPy, or fail with a message."""
    mod = type(value).__module__.split(".")[0]
    if mod == "torch":
        value = value.detach().cpu()
        if value.is_complex():
            return value.numpy().astype(np.complex128)
        return value.double().numpy()
    if isinstance(value, (int, float, np.ndarray, np.generic, list, tuple)) and not isinstance(value, bool):
        try:
            arr = np.asarray(value)
            if arr.dtype.kind in "iufb":
                return arr.astype(np.float64)
            if arr.dtype.kind == "c":
                return arr.astype(np.complex128)
        except (TypeError, ValueError):
            pass
    raise CheckFailed(f"{what}: expected an array or number, got {type(value).__name__}")


def expect_shape(value, shape, what):
    got = tuple(np.shape(value)) if not hasattr(value, "shape") else tuple(value.shape)
    if got != tuple(shape):
        raise CheckFailed(f"{what}: expected shape {tuple(shape)}, got {got}")


def expect_close(value, expected, what, rtol=1e-6, atol=1e-9, shape=True):
    """``value`` (array/tensor/number) must match ``expected`` within the tolerances."""
    want = as_numpy(expected, what) if not isinstance(expected, np.ndarray) else expected.astype(
        np.complex128 if np.iscomplexobj(expected) else np.float64)
    # a submitted array of the wrong shape is refused before its float64 copy is made
    got_shape = shape_of(value)
    if got_shape is not None and shape and got_shape != want.shape:
        raise CheckFailed(f"{what}: expected shape {want.shape}, got {got_shape}")
    if got_shape is not None and math.prod(got_shape) != want.size:
        raise CheckFailed(f"{what}: expected {want.size} value(s), got an array of shape "
                          f"{got_shape}")
    got = as_numpy(value, what)
    if shape and got.shape != want.shape:
        raise CheckFailed(f"{what}: expected shape {want.shape}, got {got.shape}")
    if got.size != want.size:   # shape=False still compares like with like (0-d and (1,) alike)
        raise CheckFailed(f"{what}: expected {want.size} value(s), got an array of shape "
                          f"{got.shape}")
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        raise CheckFailed(f"{what}: the result contains NaN or inf")
    try:
        ok = np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    except ValueError:
        raise CheckFailed(f"{what}: expected shape {want.shape}, got {got.shape}") from None
    if not ok:
        raise CheckFailed(f"{what}: values differ from the expected ones beyond the tolerance")


def first_passing(*attempts):
    """Dependency isolation for a check that is more than one comparison: run ``attempts``
    (callables raising :class:`CheckFailed`: the check against the reference's result first,
    then with probes standing in for other exercises) until one passes, and return its index.
    When none passes, the first failure (about the student's own functions) is raised."""
    first = None
    for i, attempt in enumerate(attempts):
        try:
            attempt()
            return i
        except CheckFailed as e:
            first = first or e
    raise first


def matching(value, candidates, rtol=1e-6, atol=1e-9):
    """Index of the first of ``candidates`` that ``value`` matches as :func:`expect_close`
    decides (never vacuously), or ``None``: dependency isolation accepts the reference's
    result or the result with a probe standing in for another exercise."""
    attempts = [lambda e=e: expect_close(value, e, "", rtol=rtol, atol=atol) for e in candidates]
    try:
        return first_passing(*attempts) if attempts else None
    except CheckFailed:
        return None


def expect_raises(call, exception, what):
    """``call()`` (a ``sub.call`` in a lambda) must raise ``exception`` (a class name such as
    ``"ValueError"``) or any subclass of it, as the spec allows."""
    try:
        call()
    except StudentError as e:
        if exception not in e.kinds:
            raise CheckFailed(f"{what}: expected a {exception}, but the call {e}") from None
        return
    raise CheckFailed(f"{what}: expected a {exception}, but nothing was raised")


# ---- trained models: not a checkpoint the course has shipped ---------------------------
FINGERPRINT_DIM = 64          # random projections per model: distances kept within ~20 %
FINGERPRINT_SEED = 20261201
SHIPPED_FINGERPRINTS = "shipped_checkpoints.json"   # in the reference package (lib/)
SAME_MODEL_RTOL = 0.02        # closer than 2 % of its size: the shipped model, barely changed
# Behaviour, which no reparametrisation changes (hidden units permuted, tanh units' signs
# flipped, ReLU units rescaled): a trained rate network's outputs on a Lorenz trajectory of
# the grader's (float64), teacher forced for BEHAVIOUR_WARMUP samples, then
# BEHAVIOUR_ONE_STEP one-step predictions and a BEHAVIOUR_CLOSED_LOOP-step closed-loop run
# from the state after the warm-up (5 time units, 4.5 Lyapunov times: honest models part).
BEHAVIOUR_X0 = (2.0, -7.0, 30.0)    # no notebook or other check starts here
BEHAVIOUR_WARMUP, BEHAVIOUR_ONE_STEP, BEHAVIOUR_CLOSED_LOOP = 50, 50, 250
# RMS distance (standardised units) of the outputs below which a model is a shipped one.
# Measured (tools/checkpoints.py, tests/grading/test_trained_models_are_own.py): a shipped
# model permuted (+ tanh signs) 4e-13, permuted and rescaled in float32 (E/I) 6e-5, outputs
# stored in float32 3e-8, outputs off by 1e-5 relative 1e-5; models trained honestly with
# the notebook's recipe (seeds 0-2) against the shipped ones: CT-RNN >= 2.5e-2, E/I >= 0.73.
SHIPPED_BEHAVIOUR_ATOL = 1e-3


def behaviour(model, closed_loop, ref):
    """The outputs (``BEHAVIOUR_ONE_STEP + BEHAVIOUR_CLOSED_LOOP``, 3) of a trained rate
    network (``ref``'s ``CTRNN`` or ``EIRNN`` in float64, parameters loaded) on the grader's
    held-out trajectory: one-step predictions after the warm-up, then ``closed_loop(model,
    x, h, n_steps)`` from the warm-up's last state.  The grader compares a submission's with
    the shipped checkpoints' (:func:`expect_not_shipped`), which the same function wrote to
    ``lib/shipped_checkpoints.json`` (``python -m tools.checkpoints --fingerprints-only``)."""
    import torch
    W, K, M = BEHAVIOUR_WARMUP, BEHAVIOUR_ONE_STEP, BEHAVIOUR_CLOSED_LOOP
    series = held_out_lorenz(ref, BEHAVIOUR_X0, W + max(K, M) + 1)[0]
    with torch.no_grad():
        y, h = model(series[:W + K, None])
        free = closed_loop(model, series[W:W + 1], h[W - 1], M)
    return np.concatenate([y[W:W + K, 0].numpy(), free[:, 0].numpy()])


def behaviour_distance(outputs, shipped_outputs):
    """RMS difference of two :func:`behaviour` results (inf if either is not finite)."""
    a, b = np.asarray(outputs, dtype=float), np.asarray(shipped_outputs, dtype=float)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return math.inf
    return float(np.sqrt(np.mean((a - b) ** 2)))


def shipped_entries(ref, key):
    """The fingerprints of every checkpoint of kind ``key`` ("ctrnn", "eirnn") that a
    release of the course shipped and that counts as evidence (``flag``)."""
    import json
    import os
    path = os.path.join(os.path.dirname(ref.__file__), SHIPPED_FINGERPRINTS)
    with open(path, encoding="utf-8") as f:
        entries = json.load(f).get(key) or []
    return [e for e in entries if e.get("flag", True)]


def shape_of(value):
    """The shape of a decoded array or tensor, read without converting it (``None`` for
    anything else)."""
    shape = getattr(value, "shape", None)
    try:
        return tuple(int(s) for s in shape) if shape is not None else None
    except (TypeError, ValueError):
        return None


def fingerprint(params):
    """``{"shapes", "projection"}`` of a model's named parameters (name -> array): the
    concatenated parameters projected on ``FINGERPRINT_DIM`` seeded random directions.  Tells
    whether two models are (nearly) the same without storing their weights.  Builds a
    ``FINGERPRINT_DIM x size`` matrix: call it on values whose shapes are known (see
    :func:`is_shipped_model`), never on a submission's parameters as they come."""
    names = sorted(params)
    flat = np.concatenate([as_numpy(params[k], k).ravel() for k in names]) if names else np.zeros(0)
    P = np.random.default_rng([FINGERPRINT_SEED, flat.size]).normal(size=(FINGERPRINT_DIM, flat.size))
    return {"shapes": {k: list(np.shape(as_numpy(params[k], k))) for k in names},
            "projection": (P @ flat / np.sqrt(FINGERPRINT_DIM)).tolist()}


def is_shipped_model(params, shipped):
    """True when ``params`` match the fingerprint ``shipped`` (same shapes, projections within
    ``SAME_MODEL_RTOL``).  Names and shapes are compared first, without converting anything:
    a model of other shapes costs no projection (whose matrix grows with the model)."""
    want = {k: tuple(v) for k, v in shipped["shapes"].items()}
    if any(shape_of(params.get(k)) != shape for k, shape in want.items()):
        return False
    mine = fingerprint({k: params[k] for k in want})
    a, b = np.asarray(mine["projection"]), np.asarray(shipped["projection"])
    return bool(np.linalg.norm(a - b) <= SAME_MODEL_RTOL * max(np.linalg.norm(b), 1e-12))


MAX_TRAINED_UNITS = 1024      # units of a graded trained model (the notebooks train 128-160)
MAX_EXTRA_PARAMETERS = 16     # named parameters beyond the contract's (a learnable tau ...)
_PARAMETER_DTYPES = ("float64", "float32")


def expect_trained_parameters(params, shapes, what):
    """A trained model's parameters (``get_params``' ``params``) against what the contract
    allows, before the grader computes anything with them: every name in ``shapes`` (name
    -> expected shape, e.g. ``{"W_rec": (N, N), ...}``) present, a floating-point tensor of
    exactly that shape, and at most ``MAX_EXTRA_PARAMETERS`` other parameters.  Only shapes
    and dtypes are read (no conversion, nothing built), so an oversized or odd model is
    refused at no cost."""
    import torch
    expect(isinstance(params, dict), f"{what}: its parameters could not be read (is it a model?)")
    for name, shape in shapes.items():
        expect(name in params, f"{what} has no parameter named {name}")
        value = params[name]
        expect(isinstance(value, torch.Tensor),
               f"{what}: parameter {name} is a {type(value).__name__}, not a tensor")
        expect(str(value.dtype).replace("torch.", "") in _PARAMETER_DTYPES,
               f"{what}: parameter {name} has dtype {value.dtype}; a trained model's "
               "parameters are floating-point tensors (float32 or float64)")
        expect(tuple(value.shape) == tuple(shape),
               f"{what}: parameter {name} has shape {tuple(value.shape)}, expected "
               f"{tuple(shape)}")
    extra = len(params) - len(shapes)
    expect(extra <= MAX_EXTRA_PARAMETERS,
           f"{what} has {len(params)} named parameters; the contract names {len(shapes)} "
           f"(at most {MAX_EXTRA_PARAMETERS} others are accepted)")


def trained_units(value, what, units="units"):
    """The number of units ``N`` of a trained model, read from its recurrent matrix's shape
    (``(N, N)``), bounded by ``MAX_TRAINED_UNITS`` before anything of that size is built."""
    shape = shape_of(value)
    expect(shape is not None and len(shape) == 2 and shape[0] == shape[1],
           f"{what}: the recurrent weight matrix must be square (N, N), got "
           f"{shape if shape is not None else type(value).__name__}")
    expect(1 <= shape[0] <= MAX_TRAINED_UNITS,
           f"{what} has {shape[0]} {units}; the grader evaluates models of 1 to "
           f"{MAX_TRAINED_UNITS} {units} (the notebook trains 128)")
    return shape[0]


def expect_not_shipped(params, ref, key, what, model=None, closed_loop=None):
    """A trained model must be the student's own, not a checkpoint any release of the course
    shipped (04, 05).  ``model`` (``ref``'s model in float64 with the submitted parameters)
    and its ``closed_loop`` are compared by behaviour (:func:`behaviour`), which catches a
    reparametrised copy; ``params`` by their fingerprint, which also catches an unpermuted
    copy after a few steps of fine-tuning."""
    shipped = shipped_entries(ref, key)
    message = (f"{what} computes what a model the course has shipped (with assignments 04 "
               "and 05) computes: a shipped model is not a substitute for training; train "
               "your own model in this notebook")
    if any("projection" in e and is_shipped_model(params, e) for e in shipped):
        raise CheckFailed(message)
    if model is not None and shipped:
        mine = behaviour(model, closed_loop, ref)
        if any(behaviour_distance(mine, e["outputs"]) <= SHIPPED_BEHAVIOUR_ATOL
               for e in shipped if "outputs" in e):
            raise CheckFailed(message)


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


# ---- the check kit: what several hidden modules need alike -----------------------------
def tensor(values, dtype="float64"):
    """``values`` (anything ``np.asarray`` takes) as a torch tensor of ``dtype`` (a torch
    dtype or its name; ``None`` keeps NumPy's), built in the grader."""
    import torch
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    return torch.as_tensor(np.asarray(values), dtype=dtype)


def expect_tensor(value, dtype, what):
    """``value`` must be a torch tensor of ``dtype`` (the dtype of the inputs)."""
    import torch
    expect(isinstance(value, torch.Tensor),
           f"{what}: expected a torch tensor, got {type(value).__name__}")
    expect(value.dtype == dtype,
           f"{what}: expected dtype {dtype} (the dtype of the inputs), got {value.dtype}")


def fixture_pair(name, **params):
    """``(Fixture, callable)``: the fixture ``name`` for the worker and the same callable
    built here (``grading/fixtures.py``), for the reference to use."""
    from . import fixtures
    return Fixture(name, **params), fixtures.build(name, params)


def load_parameters(model, params, dtype=None):
    """Copy ``params`` (name -> tensor, e.g. a student's parameters read by
    ``get_params``) into ``model``'s parameters of the same names (a reference model built
    in the grader), in ``dtype`` (the model's own when ``None``); returns the model."""
    import torch
    if dtype is not None:
        model = model.to(dtype)
    named = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in params.items():
            named[name].copy_(torch.as_tensor(value).to(named[name].dtype))
    return model


_HELD_OUT = {}


def held_out_lorenz(ref, x0, n_samples, standardised=True):
    """A Lorenz trajectory the notebook never saw, built in the grader with ``ref`` (lib):
    ``n_samples`` samples at the task's ``dt`` from ``x0`` after the task's 10 time units of
    transient, float64.  Standardised with the task's training mean and std (a tensor)
    unless ``standardised=False`` (a NumPy array in original units).  Returns
    ``(series, task)``; cached per arguments."""
    import torch
    key = (tuple(float(v) for v in x0), int(n_samples))
    if key not in _HELD_OUT:
        task = ref.lorenz_task()
        dt = float(task["dt"])
        n_transient = int(round(10.0 / dt))
        traj = ref.simulate(ref.lorenz_rhs, np.array(x0, dtype=float), dt,
                            n_transient + n_samples - 1)[n_transient:]
        _HELD_OUT[key] = (traj, task)
    traj, task = _HELD_OUT[key]
    if not standardised:
        return traj.copy(), task
    return torch.as_tensor((traj - task["train_mean"]) / task["train_std"], dtype=torch.float64), task


def expect_dtype(value, dtype, what):
    got = getattr(value, "dtype", type(value))
    if str(got) != str(dtype):
        raise CheckFailed(f"{what}: expected dtype {dtype}, got {got}")


def expect_unchanged(before, after, what):
    """Inputs must not be modified in place."""
    for i, (a, b) in enumerate(zip(before, after)):
        if hasattr(a, "shape") and not np.array_equal(as_numpy(a, what), as_numpy(b, what)):
            raise CheckFailed(f"{what}: argument {i + 1} was modified in place")
