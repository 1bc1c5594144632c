"""The README's generated sections: text between a pair of HTML-comment markers that a
command rewrites (the benchmark's table and quality sentence, the workload table)."""

import os

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def section(text, start, end):
    """What ``text`` holds between the markers ``start`` and ``end`` (stripped)."""
    return text[text.index(start) + len(start):text.index(end)].strip()


def write_section(start, end, body, path=README):
    """Put ``body`` between the markers ``start`` and ``end`` of the file ``path``."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    i, j = text.index(start) + len(start), text.index(end)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:i] + "\n" + body + "\n" + text[j:])
