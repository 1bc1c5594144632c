"""Values crossing the sandbox boundary round-trip, and hostile encodings are refused."""

import numpy as np
import pandas as pd
import pytest
import torch

from grading import codec


@pytest.mark.parametrize("value", [
    1, 2.5, float("nan"), float("inf"), True, None, "text", 1 + 2j, (1, 2), [1, [2, 3]], {"a": 1},
    np.arange(6.0).reshape(2, 3), np.float32(1.5), np.array([1, 2], dtype=np.int32),
    np.array(2.0), np.zeros((0, 3)),
])
def test_round_trip(value):
    back = codec.decode(codec.loads(codec.dumps(codec.encode(value))))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value


def test_tensors_keep_dtype_and_shape():
    for dtype in (torch.float32, torch.float64):
        for shape in ((3, 2), (), (0,)):
            t = torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(0))
            back = codec.decode(codec.encode(t))
            assert back.dtype == dtype and back.shape == t.shape and torch.equal(back, t)


def test_dataframes_round_trip():
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]}, index=["x", "y"])
    frame.index.name = "architecture"
    back = codec.decode(codec.encode(frame))
    pd.testing.assert_frame_equal(back, frame)


@pytest.mark.parametrize("hostile", [
    {"__ndarray__": {"dtype": "object", "shape": [1], "data": ""}},
    {"__ndarray__": {"dtype": "float64", "shape": [10**9], "data": ""}},
    {"__ndarray__": {"dtype": "float64", "shape": [3], "data": "AAAA"}},
    {"__pickle__": "gASVAAAAAAAAAAA="},
    {"__torch_dtype__": "Generator"},
    [1, 2],
])
def test_hostile_values_are_refused(hostile):
    with pytest.raises(codec.DecodeError):
        codec.decode(hostile)


def test_unknown_objects_become_opaque():
    back = codec.decode(codec.encode(object()))
    assert isinstance(back, codec.Opaque)
