"""Sandboxed worker: executes a student's notebook and answers calls from the grader.

Runs as an unprivileged user in a scratch folder that holds only the submission and
the public files of the assignment.  It never sees reference code or hidden tests and
never decides a score: it executes the notebook's code cells (skipping cells tagged
``otter_ignore`` and cells the grader asks it to skip), then serves requests
(call a function, construct a class, set parameters...) and sends back encoded
values.  All comparisons happen in the grader's own process.

It is forked from the clean image of :mod:`grading.forkserver`, which calls
:func:`run` once the process is isolated and unprivileged.

Protocol: JSON frames prefixed by their byte length, on two pipes.
"""

import builtins
import io
import json
import os
import random
import re
import struct
import sys
import types

from . import codec, fixtures, outputs

MAX_OUTPUT_CHARS = 200_000


class _CappedWriter(io.TextIOBase):
    """Student output goes here: kept up to a cap, the rest is dropped."""

    def __init__(self, target):
        self.target = target
        self.written = 0

    def write(self, text):
        text = str(text)
        room = MAX_OUTPUT_CHARS - self.written
        if room > 0:
            self.target.write(text[:room])
            self.target.flush()
        self.written += len(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


class _StreamTee(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` while outputs are captured: everything goes to the
    capped log, and to the current cell's :class:`grading.outputs.CellOutputs`."""

    def __init__(self, writer, name, capture):
        self.writer, self.name, self.capture = writer, name, capture

    def write(self, text):
        cell = self.capture.current
        if cell is not None:
            cell.stream(self.name, text)
        return self.writer.write(text)

    def flush(self):
        pass

    def isatty(self):
        return False


class Capture:
    """The notebook's outputs, cell by cell (see :mod:`grading.outputs`): the worker sends
    each cell's with its ``cell_done`` event, within ``outputs.NOTEBOOK_BYTES`` in all."""

    def __init__(self):
        self.current = None
        self.left = outputs.NOTEBOOK_BYTES
        self.count = 0

    def start(self):
        self.count += 1
        self.current = outputs.CellOutputs(limit=max(0, min(outputs.CELL_BYTES, self.left)))

    def display(self, *objs, **kwargs):
        for obj in objs:
            if self.current is not None:
                self.current.data(mime_bundle(obj))

    def result(self, value):
        if self.current is not None and value is not None:
            self.current.data(mime_bundle(value), execution_count=self.count)

    def error(self, exc, index, source):
        if self.current is None:
            return
        lines = source.splitlines()
        frames = ["Traceback (most recent call last):"]
        tb = exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename.startswith("<notebook cell"):
                line = ""
                if code.co_filename == f"<notebook cell {index}>" and 0 < tb.tb_lineno <= len(lines):
                    line = "\n    " + lines[tb.tb_lineno - 1].strip()
                frames.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}{line}')
            tb = tb.tb_next
        evalue = str(exc)
        self.current.error(type(exc).__name__, evalue,
                           frames[-20:] + [f"{type(exc).__name__}: {evalue[:2000]}"])

    def figures(self):
        """The open matplotlib figures, as PNG (as Jupyter's inline backend shows them at
        the end of a cell), at most ``outputs.MAX_FIGURES``."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None or self.current is None:
            return
        try:
            numbers = list(plt.get_fignums())
        except Exception:  # noqa: BLE001 - a student may have replaced pyplot
            return
        for number in numbers[:outputs.MAX_FIGURES]:
            try:
                self.current.data(_figure_bundle(plt.figure(number)))
            except Exception:  # noqa: BLE001 - a figure that cannot be drawn is left out
                continue

    def finish(self):
        cell, self.current = self.current, None
        if cell is None:
            return None
        self.left -= cell.size
        return cell.finish()


def _figure_bundle(fig):
    import base64
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=outputs.FIGURE_DPI, bbox_inches="tight")
    w, h = fig.get_size_inches() * fig.dpi
    return {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
            "text/plain": f"<Figure size {w:g}x{h:g} with {len(fig.axes)} Axes>"}


def mime_bundle(obj):
    """What Jupyter would show of ``obj``, as data: a figure or an object's PNG/JPEG
    representation, and its ``repr`` (never HTML: :func:`grading.outputs.clean_outputs`)."""
    import base64
    if hasattr(obj, "savefig") and hasattr(obj, "axes"):
        try:
            return _figure_bundle(obj)
        except Exception:  # noqa: BLE001
            pass
    bundle = {}
    for method, mime in (("_repr_png_", "image/png"), ("_repr_jpeg_", "image/jpeg")):
        try:
            value = getattr(obj, method)() if hasattr(obj, method) else None
        except Exception:  # noqa: BLE001 - a broken repr shows nothing
            value = None
        if isinstance(value, bytes):
            bundle[mime] = base64.b64encode(value).decode("ascii")
        elif isinstance(value, str):
            bundle[mime] = value
    try:
        bundle["text/plain"] = repr(obj)[:100_000]
    except Exception:  # noqa: BLE001
        bundle["text/plain"] = f"<{type(obj).__name__} object>"
    return bundle


class Channel:
    def __init__(self, fd_in, fd_out):
        self.fin = os.fdopen(fd_in, "rb", buffering=0)
        self.fd_out = fd_out

    def send(self, obj):
        data = codec.dumps(obj).encode()
        codec.check_frame(data)  # the grader would refuse it: fail this reply instead
        os.write(self.fd_out, struct.pack(">Q", len(data)) + data)

    def recv(self):
        head = self._read(8)
        if head is None:
            return None
        (n,) = struct.unpack(">Q", head)
        return codec.loads(self._read(n).decode())

    def _read(self, n):
        chunks, got = [], 0
        while got < n:
            chunk = self.fin.read(n - got)
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


def _fake_otter():
    """Public checks are not needed while grading: ``grader.check`` does nothing."""

    class Notebook:
        def __init__(self, *a, **k):
            pass

        def __getattr__(self, name):
            return lambda *a, **k: None

    import importlib.machinery
    mod = types.ModuleType("otter")
    mod.__spec__ = importlib.machinery.ModuleSpec("otter", None)
    mod.Notebook = Notebook
    return mod


def _cell_source(cell):
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(src)
    lines = []
    for line in src.splitlines():
        stripped = line.lstrip()
        # IPython magics and shell escapes have no meaning here.
        if stripped.startswith(("%", "!")):
            lines.append(line[: len(line) - len(stripped)] + "pass  # " + stripped)
        else:
            lines.append(line)
    return "\n".join(lines)


def _seed_everything():
    random.seed(0)
    try:
        import numpy as np
        np.random.seed(0)
    except ImportError:
        pass
    torch = sys.modules.get("torch")  # never imported here only to be seeded
    if torch is not None:
        torch.manual_seed(0)
        torch.set_num_threads(1)


class CellLog:
    """The notebook's code cells and what became of each while grading (raised,
    skipped), to tell a student why a graded name is missing."""

    def __init__(self, cells, skip_reasons):
        self.sources = [_cell_source(c) for c in cells]
        self.ignored = {i for i, c in enumerate(cells)
                        if "otter_ignore" in (c.get("metadata", {}).get("tags", []) or [])}
        self.errors = dict(skip_reasons)

    def why_missing(self, name):
        """``name '...' is not defined``, followed, when a cell that assigns or defines
        it raised or was skipped, by that cell's fate (short)."""
        text = f"name '{name}' is not defined"
        n = re.escape(name)
        defines = re.compile(
            rf"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+{n}\b|class[ \t]+{n}\b"
            rf"|(?:[\w.\[\]'\"]+[ \t]*,[ \t]*)*{n}[ \t]*(?:,[^=\n]*)?(?::[^=\n]*)?=(?!=)"
            rf"|(?:from[ \t]+\S+[ \t]+)?import[ \t].*\b{n}\b)", re.M)
        for i in reversed(range(len(self.sources))):
            if not defines.search(self.sources[i]):
                continue
            if i in self.errors:
                why = f"code cell {i + 1}, which defines it, raised {self.errors[i]}"
            elif i in self.ignored:
                why = f"code cell {i + 1}, which defines it, is tagged otter_ignore (not run when grading)"
            else:
                continue
            return f"{text} ({why})"[:190]
        return text


def _run_cell(source, index, namespace, capture):
    """Execute one cell's source; with ``capture``, the value of a final expression is
    shown as Jupyter shows it (unless the cell ends with ``;``)."""
    name = f"<notebook cell {index}>"
    if capture is None:
        exec(compile(source, name, "exec"), namespace)  # noqa: S102 - the submission
        return
    import ast
    tree = ast.parse(source, name)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, name, "exec"), namespace)  # noqa: S102 - the submission
    if last is not None:
        capture.result(eval(compile(last, name, "eval"), namespace))  # noqa: S307


def execute_notebook(path, skip, channel, namespace, skip_reasons=None, detail=None, capture=None):
    """Run the code cells; return their :class:`CellLog`.  ``detail``: the cells'
    errors, in full, from the notebook's first run (when the worker had a private
    file system view); None means that this is that first run.  A later run tells a
    student only the *type* of a cell's new error: its text might carry what an
    earlier call was given (a channel out of the sandbox).  ``capture``: a
    :class:`Capture` when the grader asked for the cells' outputs (each ``cell_done``
    then carries its cell's, ``outputs``)."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    log = CellLog(code_cells, {i: r for i, r in (skip_reasons or {}).items() if i in skip})
    for index, cell in enumerate(code_cells):
        tags = cell.get("metadata", {}).get("tags", []) or []
        if "otter_ignore" in tags or index in skip:
            if index in skip and index not in log.errors:
                log.errors[index] = "an error that stopped the notebook (skipped on restart)"
            continue
        channel.send({"event": "cell_start", "cell": index})
        error = None
        if capture is not None:
            capture.start()
        try:
            _run_cell(_cell_source(cell), index, namespace, capture)
        except SystemExit as e:
            error = f"SystemExit({e.code!r}) raised"
        except BaseException as e:  # noqa: BLE001 - any failure of a cell is recorded
            error = f"{type(e).__name__}: {str(e)[:300]}"
            if capture is not None:
                capture.error(e, index, _cell_source(cell))
        done = {"event": "cell_done", "cell": index, "error": error}
        if capture is not None:
            capture.figures()
            done["outputs"] = capture.finish()
        _release_memory()
        if error:
            log.errors[index] = error if detail is None else detail.get(index, error.split(":")[0])
        try:
            channel.send(done)
        except ENCODE_ERRORS:
            done.pop("outputs", None)
            channel.send(done)
    channel.send({"event": "ready"})
    return log


def _release_memory():
    """Figures are never looked at while grading: close them and collect garbage, so that
    a notebook full of plots fits in the grader's memory."""
    import gc
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - a student may have replaced pyplot
            pass
    gc.collect()
    _trim_heap()


def _trim_heap():
    """Give freed heap memory back to the system (glibc keeps it otherwise), so that a
    cell's temporaries do not count against the grader's memory for the rest of the run."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


ENCODE_ERRORS = (TypeError, ValueError, codec.DecodeError)
"""What encoding a reply raises when it holds a value the codec refuses."""


def encode_error(error, request_id=None):
    """The reply sent instead of one that could not be encoded."""
    return {"ok": False, "error": "EncodeError", "message": str(error)[:200], "id": request_id}


class Server:
    def __init__(self, channel, namespace, cells=None):
        self.channel = channel
        self.ns = namespace
        self.cells = cells
        self.handles = {}
        self.hooks = {
            "__fixture__": lambda obj, dec: fixtures.build(obj["__fixture__"], dec(obj["params"])),
            "__handle__": lambda obj, dec: self.handles[obj["__handle__"]],
            "__generator__": lambda obj, dec: fixtures.generator(obj["__generator__"]),
        }

    def resolve(self, target):
        if isinstance(target, str):
            if target not in self.ns:
                raise NameError(self.cells.why_missing(target) if self.cells
                                else f"name '{target}' is not defined")
            return self.ns[target]
        obj = self.handles[target["handle"]] if "handle" in target else self.resolve(target["name"])
        for part in target.get("attr", "").split(".") if target.get("attr") else []:
            obj = getattr(obj, part)
        return obj

    def serve(self):
        while True:
            req = self.channel.recv()
            if req is None:
                return
            reply = self.answer(req)
            reply["id"] = req.get("id")
            try:
                self.channel.send(reply)
            except ENCODE_ERRORS as e:
                self.channel.send(encode_error(e, req.get("id")))

    def answer(self, req):
        """The reply to one request (an exception raised by the notebook's code is
        reported, with its class hierarchy, never raised)."""
        try:
            reply = getattr(self, "op_" + req["op"])(req)
            reply.setdefault("ok", True)
        except BaseException as e:  # noqa: BLE001 - reported back, never fatal
            reply = {"ok": False, "error": type(e).__name__, "message": str(e)[:300],
                     "bases": [c.__name__ for c in type(e).__mro__][:12]}
        return reply

    def decode(self, obj):
        return codec.decode(obj, self.hooks)

    def op_names(self, req):
        out = {}
        for name in req["names"]:
            obj = self.ns.get(name, None)
            kind = "missing" if name not in self.ns else (
                "class" if isinstance(obj, type) else "callable" if callable(obj) else "value")
            out[name] = kind
        return {"value": codec.encode(out)}

    def op_call(self, req):
        import contextlib
        fn = self.resolve(req["target"])
        args = list(self.decode(req.get("args", {"__seq__": "list", "items": []})))
        kwargs = self.decode(req.get("kwargs", {"__dict__": []}))
        grad_wrt = req.get("grad_wrt") or []
        for i in grad_wrt:
            args[i] = args[i].detach().clone().requires_grad_(True)
        swap = {k: self.decode(v) for k, v in (req.get("swap") or {}).items()}
        saved = {k: self.ns.get(k, _MISSING) for k in swap}
        self.ns.update(swap)
        try:
            ctx = contextlib.nullcontext()
            if req.get("no_grad"):
                import torch
                ctx = torch.no_grad()
            with ctx:
                result = fn(*args, **kwargs)
        finally:
            for k, v in saved.items():
                if v is _MISSING:
                    self.ns.pop(k, None)
                else:
                    self.ns[k] = v
        reply = {}
        if req.get("keep"):
            self.handles[req["keep"]] = result
            reply["value"] = None
        else:
            reply["value"] = codec.encode(result)
        if grad_wrt:
            out = result[0] if isinstance(result, (tuple, list)) else result
            weights = self.decode(req["grad_weights"]) if req.get("grad_weights") is not None else None
            loss = (out * weights).sum() if weights is not None else out.sum()
            loss.backward()
            reply["grads"] = codec.encode([args[i].grad for i in grad_wrt])
        if req.get("return_args"):
            reply["args"] = codec.encode(args)
        return reply

    def op_set_params(self, req):
        import torch
        model = self.resolve(req["target"])
        params = dict(model.named_parameters())
        values = self.decode(req["params"])
        missing = [k for k in values if k not in params]
        if missing:
            raise KeyError(f"the model has no parameter named {', '.join(missing)}")
        with torch.no_grad():
            for k, v in values.items():
                if tuple(params[k].shape) != tuple(v.shape):
                    raise ValueError(f"parameter {k} has shape {tuple(params[k].shape)}, expected {tuple(v.shape)}")
                params[k].copy_(v.to(params[k].dtype))
        return {"value": None}

    def op_get_params(self, req):
        model = self.resolve(req["target"])
        params = {k: v.detach().clone() for k, v in model.named_parameters()}
        attrs = {}
        for name in req.get("attrs", []):
            value = getattr(model, name, None)
            if hasattr(value, "detach"):
                value = value.detach().clone()
            attrs[name] = value
        return {"value": codec.encode({"params": params, "attrs": attrs,
                                       "type": type(model).__name__})}


_MISSING = object()


def run(notebook, skip, fd_in, fd_out, skip_reasons=None, detail=None, capture_outputs=False):
    """Execute ``notebook`` (skipping the code cells in ``skip``; ``skip_reasons`` says
    why, by cell; ``detail`` see :func:`execute_notebook`; ``capture_outputs``: send each
    cell's outputs), then serve requests on the two pipes until the grader closes them."""
    channel = Channel(fd_in, fd_out)
    log = open("student_output.txt", "a", encoding="utf-8", errors="replace")
    writer = _CappedWriter(log)
    capture = Capture() if capture_outputs else None
    if capture is None:
        sys.stdout = sys.stderr = writer
    else:
        sys.stdout, sys.stderr = _StreamTee(writer, "stdout", capture), _StreamTee(writer, "stderr", capture)
    sys.stdin = io.StringIO("")
    builtins.input = lambda *a, **k: ""
    sys.modules["otter"] = _fake_otter()
    _seed_everything()
    namespace = {"__name__": "__main__", "__builtins__": builtins,
                 "display": capture.display if capture else (lambda *a, **k: None)}
    cells = execute_notebook(notebook, skip, channel, namespace, skip_reasons, detail, capture)
    _seed_everything()
    Server(channel, namespace, cells).serve()
