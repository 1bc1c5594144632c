"""A notebook's own outputs, for graders: what each code cell printed, displayed, plotted
and raised while the sandboxed worker ran it, in nbformat's v4 output layout, bounded.

Only nbgrader's autograde asks for them (:attr:`grading.records.Job.capture_outputs`); the
worker collects them (:class:`CellOutputs`), the grading process keeps what
:func:`clean_outputs` accepts (data, never code: text, PNG or JPEG images, errors) within
``NOTEBOOK_BYTES`` and only from the notebook's first run in a private file system view,
and nbgrader's preprocessor writes them into the autograded notebook.  Standard library
only.
"""

import base64
import binascii

CELL_BYTES = 2 * 2**20
"""Outputs kept of one cell (text and base64 images): the rest is dropped, with a note."""

NOTEBOOK_BYTES = 12 * 2**20
"""Outputs kept of one notebook: cells past it keep a note only (the grader's memory stays
bounded whatever a notebook prints or plots)."""

FIGURE_DPI = 72
MAX_FIGURES = 20
"""Figures rendered per cell (open matplotlib figures at the end of the cell)."""

IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
TEXT_MIME = "text/plain"


def note(text):
    return {"output_type": "stream", "name": "stderr", "text": f"[grader: {text}]\n"}


class CellOutputs:
    """One cell's outputs as the worker collects them, at most ``limit`` bytes."""

    def __init__(self, limit=CELL_BYTES):
        self.outputs, self.size, self.limit, self.dropped = [], 0, limit, 0

    def _fits(self, n):
        if self.size + n > self.limit:
            self.dropped += n
            return False
        self.size += n
        return True

    def stream(self, name, text):
        text = str(text)
        if not text:
            return
        data = text.encode("utf-8", "replace")
        room = self.limit - self.size
        if len(data) > room:
            self.dropped += len(data) - max(room, 0)
            text = data[:max(room, 0)].decode("utf-8", "ignore")
            if not text:
                return
        self.size += len(text.encode("utf-8", "replace"))
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def data(self, bundle, execution_count=None):
        if not bundle or not self._fits(sum(len(v) for v in bundle.values())):
            return
        out = {"output_type": "display_data", "data": bundle, "metadata": {}}
        if execution_count is not None:
            out["output_type"] = "execute_result"
            out["execution_count"] = execution_count
        self.outputs.append(out)

    def error(self, ename, evalue, traceback):
        evalue, traceback = str(evalue)[:2000], [str(t)[:4000] for t in traceback[:30]]
        if self._fits(len(ename) + len(evalue) + sum(map(len, traceback))):
            self.outputs.append({"output_type": "error", "ename": str(ename)[:200],
                                 "evalue": evalue, "traceback": traceback})

    def finish(self):
        if self.dropped:
            self.outputs.append(note(f"{self.dropped} bytes of this cell's output not kept "
                                     f"(at most {self.limit} per cell)"))
        return self.outputs


def _text(value, limit):
    return value if isinstance(value, str) and len(value) <= limit else None


def _image(mime, value):
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return value if raw.startswith(IMAGE_MAGIC[mime]) else None


def clean_outputs(raw, limit=CELL_BYTES):
    """The outputs of one cell as the worker sent them, rebuilt from what is allowed (a
    list of nbformat v4 outputs: streams, ``text/plain`` and PNG/JPEG data, errors; no
    HTML, SVG or script, which a formgrader page would run), at most ``limit`` bytes;
    ``None`` when ``raw`` is not such a list."""
    if not isinstance(raw, list) or len(raw) > 1000:
        return None
    kept, size = [], 0
    for out in raw:
        if not isinstance(out, dict):
            return None
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") in ("stdout", "stderr"):
            text = _text(out.get("text"), limit)
            new = text is not None and {"output_type": "stream", "name": out["name"], "text": text}
        elif kind in ("display_data", "execute_result") and isinstance(out.get("data"), dict):
            data = {}
            for mime, value in out["data"].items():
                if mime == TEXT_MIME and _text(value, limit) is not None:
                    data[mime] = value
                elif mime in IMAGE_MAGIC and _image(mime, value) is not None:
                    data[mime] = value
            new = bool(data) and {"output_type": kind, "data": data, "metadata": {}}
            if new and kind == "execute_result":
                count = out.get("execution_count")
                new["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        elif kind == "error":
            tb = out.get("traceback")
            ok = (_text(out.get("ename"), 200) is not None and _text(out.get("evalue"), limit) is not None
                  and isinstance(tb, list) and all(_text(t, limit) is not None for t in tb))
            new = ok and {"output_type": "error", "ename": out["ename"], "evalue": out["evalue"],
                          "traceback": list(tb)}
        else:
            new = None
        if not new:
            continue
        n = len(repr(new))
        if size + n > limit:
            kept.append(note("output over the grader's limit not kept"))
            break
        size += n
        kept.append(new)
    return kept
