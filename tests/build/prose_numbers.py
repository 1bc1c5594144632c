"""Decimal numbers in a notebook's prose and the numbers its own cells show.

A number a student reads in the prose either is shown by a cell of the same notebook (at
the prose's precision: the printed value rounds to it) or is a published constant or a
fixed parameter listed in ``PUBLISHED``.  Training results, sampled and chaotic quantities
differ between machines: typed into prose they drift from what the cells print."""

import re

import nbformat

# decimal numbers: an optional sign, digits, a decimal point, digits
NUMBER = re.compile(r"(?<![\w.])([-−]?)(\d+)\.(\d+)(?![\w.]*\d)")
ANY_NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
MIN_SIGNIFICANT = 3

# Published constants and fixed parameters the prose may state (not computed by the cells).
PUBLISHED = {
    "0.9056", "0.906", "14.5723", "14.57", "-14.5723", "-14.57",   # Lorenz-63 spectrum (Sprott)
    "24.74", "24.06", "13.9", "13.926",        # Hopf, chaotic-attractor and homoclinic rho
    "13.667", "-13.667",                        # -(sigma + 1 + beta)
    "2.06",                                     # Kaplan-Yorke dimension of Lorenz-63
    "11.83", "-2.67", "-22.83", "-13.85", "0.094", "10.19",   # eigenvalues at the origin and C+-
    "0.0181",                                   # dt = 0.02 time units in Lyapunov times
    "1.002", "0.0019",                          # |exp(dt (0.094 +- 10.19i))| at dt = 0.02
    "10.1",                                     # 04's illustration of a field eigenvalue
}


def significant_digits(integer, fraction):
    return len((integer + fraction).lstrip("0"))


def prose_numbers(nb):
    """[(text, value, decimals, cell index)] of the decimal numbers with at least
    ``MIN_SIGNIFICANT`` significant digits in the notebook's Markdown cells."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for m in NUMBER.finditer(cell.source):
            sign, integer, fraction = m.groups()
            if significant_digits(integer, fraction) < MIN_SIGNIFICANT:
                continue
            text = ("-" if sign else "") + integer + "." + fraction
            out.append((text, float(text), len(fraction), i))
    return out


def _output_text(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "\n".join(data.get(k, "") if isinstance(data.get(k, ""), str) else "".join(data[k])
                     for k in ("text/plain", "text/markdown", "text/html") if k in data)


def shown_values(nb):
    """Every number the notebook's code cells show in their outputs (floats)."""
    values = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for tok in ANY_NUMBER.findall(_output_text(output)):
                try:
                    values.append(float(tok.replace("−", "-")))
                except ValueError:
                    pass
    return values


def unsupported_numbers(path):
    """Prose numbers of the executed notebook ``path`` that no output shows at their
    precision and that are not in ``PUBLISHED``: [(text, cell index)]."""
    nb = nbformat.read(path, 4)
    shown = shown_values(nb)
    bad = []
    for text, value, decimals, i in prose_numbers(nb):
        if text in PUBLISHED or text.lstrip("-") in PUBLISHED:
            continue
        half = 0.5 * 10.0 ** -decimals + 1e-12
        if not any(abs(x - value) <= half or abs(-x - value) <= half for x in shown):
            bad.append((text, i))
    return bad
