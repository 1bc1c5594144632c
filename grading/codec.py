"""Safe, explicit encoding of values that cross the sandbox boundary.

Values travel as JSON.  NumPy arrays and PyTorch tensors travel as raw bytes with
dtype and shape; pandas DataFrames as columns, index and values.  Nothing is ever
unpickled, so a submission cannot make the trusted grader execute code by what it
returns.  ``decode`` rejects anything it does not know and caps sizes.

This module is imported on both sides (trusted grader and sandboxed worker) and
must stay free of secrets: it is copied next to the student's notebook.
"""

import base64
import json
import math

MAX_ELEMENTS = 20_000_000  # refuse absurdly large arrays from a submission
MAX_DEPTH = 20

MAX_FRAME_BYTES = 24 * 2**20
"""Largest message (frame) between the grading process and a worker, in bytes.

The largest legitimate reply (a trajectory, a trained model's parameters) is a few MB.
A worker that announces more is failed before the grader reads a byte of it, and the
worker itself refuses to send a larger value (the call fails with a message), so no
submission can make the grading process, which shares the container's memory with
the notebook, hold more than about this much for one request."""

MAX_FRAME_VALUES = 1_000_000
"""Most JSON values (counted as commas, objects and arrays) one frame may hold.

Parsing costs about 60-200 bytes of the grader's memory per value, much more than the
value's few bytes in the frame: 15 MB of empty objects would become ~1 GB of dicts.
Counted on the raw bytes, before anything is parsed (base64 array data holds none
of these characters, so real arrays never come near it)."""

_NUMPY_DTYPES = {
    "float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8",
    "bool", "complex128", "complex64",
}


class DecodeError(ValueError):
    """A value could not be decoded (unknown type, too large, malformed)."""


def _float(x):
    if math.isnan(x):
        return {"__float__": "nan"}
    if math.isinf(x):
        return {"__float__": "inf" if x > 0 else "-inf"}
    return x


def encode(value, _depth=0):
    """Turn ``value`` into a JSON-serialisable structure.

    Objects with a ``__codec__`` method (fixtures, handles) encode themselves.
    """
    if _depth > MAX_DEPTH:
        raise DecodeError("value nested too deeply")
    d = _depth + 1
    if hasattr(value, "__codec__"):
        return value.__codec__()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, complex):
        return {"__complex__": [_float(value.real), _float(value.imag)]}
    if isinstance(value, (list, tuple)):
        return {"__seq__": "tuple" if isinstance(value, tuple) else "list",
                "items": [encode(v, d) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, d), encode(v, d)] for k, v in value.items()]}
    mod = type(value).__module__.split(".")[0]
    if mod == "numpy":
        import numpy as np
        if isinstance(value, np.generic):
            return {"__npscalar__": _array(np.asarray(value))}
        if isinstance(value, np.ndarray):
            return {"__ndarray__": _array(value)}
    if mod == "torch":
        import torch
        if isinstance(value, torch.Tensor):
            t = value.detach().to("cpu").resolve_conj().resolve_neg()
            arr = t.numpy() if t.dtype != torch.bfloat16 else t.float().numpy()
            return {"__tensor__": _array(arr), "requires_grad": bool(value.requires_grad)}
        if isinstance(value, torch.dtype):
            return {"__torch_dtype__": str(value).replace("torch.", "")}
        if isinstance(value, torch.Generator):
            return {"__repr__": "torch.Generator"}
    if mod == "pandas":
        import pandas as pd
        if isinstance(value, pd.DataFrame):
            return {"__dataframe__": {
                "columns": [encode(c, d) for c in value.columns],
                "index": [encode(i, d) for i in value.index],
                "index_name": encode(value.index.name, d),
                "dtypes": [str(t) for t in value.dtypes],
                "values": [[encode(v, d) for v in row] for row in value.itertuples(index=False)],
            }}
    return {"__repr__": f"<object of type {type(value).__name__}>"}


def _array(arr):
    import numpy as np
    shape = list(np.shape(arr))    # ascontiguousarray makes a 0-d array 1-d: keep the shape
    arr = np.ascontiguousarray(arr)
    dtype = str(arr.dtype)
    if dtype not in _NUMPY_DTYPES:
        arr = arr.astype(np.float64)
        dtype = "float64"
    return {"dtype": dtype, "shape": shape,
            "data": base64.b64encode(arr.tobytes()).decode("ascii")}


def _unarray(spec):
    import numpy as np
    if not isinstance(spec, dict) or spec.get("dtype") not in _NUMPY_DTYPES:
        raise DecodeError("unknown array dtype")
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise DecodeError("malformed array shape")
    if math.prod(shape) > MAX_ELEMENTS:
        raise DecodeError("array too large")
    try:
        raw = base64.b64decode(spec.get("data", ""), validate=True)
        arr = np.frombuffer(raw, dtype=np.dtype(spec["dtype"]))
    except (ValueError, TypeError) as e:
        raise DecodeError("malformed array data") from e
    if arr.size != math.prod(shape):
        raise DecodeError("array data does not match its shape")
    return arr.reshape(shape).copy()


class Opaque:
    """Stands for a value the worker could not encode (a model, a function...)."""

    def __init__(self, text):
        self.text = str(text)[:200]

    def __repr__(self):
        return self.text


def decode(obj, hooks=None, _depth=0):
    """Inverse of :func:`encode`. ``hooks`` maps marker keys to decoders (worker side)."""
    if _depth > MAX_DEPTH:
        raise DecodeError("value nested too deeply")
    d = _depth + 1
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        raise DecodeError("bare list")
    if not isinstance(obj, dict) or len(obj) == 0:
        raise DecodeError("malformed value")
    if hooks:
        for key, hook in hooks.items():
            if key in obj:
                return hook(obj, lambda o: decode(o, hooks, d))
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__complex__" in obj:
        re, im = (decode(v, hooks, d) for v in obj["__complex__"])
        return complex(re, im)
    if "__seq__" in obj:
        items = [decode(v, hooks, d) for v in obj["items"]]
        return tuple(items) if obj["__seq__"] == "tuple" else items
    if "__dict__" in obj:
        return {decode(k, hooks, d): decode(v, hooks, d) for k, v in obj["__dict__"]}
    if "__npscalar__" in obj:
        return _unarray(obj["__npscalar__"])[()]
    if "__ndarray__" in obj:
        return _unarray(obj["__ndarray__"])
    if "__tensor__" in obj:
        import torch
        t = torch.from_numpy(_unarray(obj["__tensor__"]))
        if obj.get("requires_grad"):
            t.requires_grad_(True)
        return t
    if "__torch_dtype__" in obj:
        import torch
        name = obj["__torch_dtype__"]
        if name not in {"float64", "float32", "float16", "int64", "int32", "bool", "bfloat16"}:
            raise DecodeError("unknown torch dtype")
        return getattr(torch, name)
    if "__dataframe__" in obj:
        import pandas as pd
        spec = obj["__dataframe__"]
        cols = [decode(c, hooks, d) for c in spec["columns"]]
        rows = [[decode(v, hooks, d) for v in row] for row in spec["values"]]
        index = [decode(i, hooks, d) for i in spec["index"]]
        frame = pd.DataFrame(rows, columns=cols, index=index)
        for col, dtype in zip(cols, spec.get("dtypes", [])):
            try:
                frame[col] = frame[col].astype(dtype)
            except (TypeError, ValueError):
                pass
        frame.index.name = decode(spec["index_name"], hooks, d)
        return frame
    if "__repr__" in obj:
        return Opaque(obj["__repr__"])
    raise DecodeError("unknown value marker")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def loads(text):
    return json.loads(text)


def check_frame(data):
    """Raise :class:`DecodeError` if the frame ``data`` (bytes) exceeds the limits."""
    if len(data) > MAX_FRAME_BYTES:
        raise DecodeError(f"a message of {len(data) / 2**20:.0f} MB, more than the "
                          f"{MAX_FRAME_BYTES // 2**20} MB allowed")
    values = data.count(b",") + data.count(b"{") + data.count(b"[")
    if values > MAX_FRAME_VALUES:
        raise DecodeError(f"a message of more than {MAX_FRAME_VALUES} values")


def parse_frame(data):
    """One frame from the worker as a dict; anything else (too large, not JSON, not a
    JSON object) raises :class:`DecodeError`: the worker's failure, never the grader's."""
    check_frame(data)
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise DecodeError("a message that is not JSON") from e
    if not isinstance(obj, dict):
        raise DecodeError(f"a message that is a JSON {type(obj).__name__}, not an object")
    return obj
