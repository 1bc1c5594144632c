"""No points for answers that give the comparison nothing to compare: an empty array, NaN,
or an object that claims to equal everything, where a number or an array is expected.
(The hidden checks run in this process on namespaces built from ``lib``, one function
replaced, through the worker's request handling and the codec.)"""

import importlib

import numpy as np
import pytest
import torch

import lib
from grading.checks import CheckFailed
from test_mutants_02 import InProcess

torch.set_num_threads(1)


class EqualsEverything(float):
    """A 'number' that says it equals whatever it is compared with."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def _answers(kind):
    return {
        "empty numpy": lambda *a, **k: np.array([]),
        "empty tensor": lambda *a, **k: torch.tensor([]),
        "nan": lambda *a, **k: float("nan"),
        "lying object": lambda *a, **k: EqualsEverything(0.0),
    }[kind]


CASES = [
    ("hidden.a04_dynamical_analysis", "lyapunov_spectrum"),
    ("hidden.a00_introduction", "hopf_rho"),
]


def _namespace():
    ns = {name: getattr(lib, name) for name in lib.__all__}
    ns.update(torch=torch, np=np)
    return ns


@pytest.mark.parametrize("kind", ["empty numpy", "empty tensor", "nan", "lying object"])
@pytest.mark.parametrize("module,question", CASES, ids=[q for _, q in CASES])
def test_vacuous_answer_gets_no_points(module, question, kind):
    check = next(q["check"] for q in importlib.import_module(module).QUESTIONS.questions
                 if q["name"] == question)
    ns = _namespace()
    ns[question] = _answers(kind)
    with pytest.raises(CheckFailed):
        check(InProcess(ns), lib)


@pytest.mark.parametrize("module,question", CASES, ids=[q for _, q in CASES])
def test_reference_passes_the_same_checks(module, question):
    check = next(q["check"] for q in importlib.import_module(module).QUESTIONS.questions
                 if q["name"] == question)
    check(InProcess(_namespace()), lib)
