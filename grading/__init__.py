"""Sandboxed, tamper-resistant grading for the course's Otter autograders.

Public modules: :mod:`grading.runner` (grade one notebook), :mod:`grading.checks`
(the vocabulary of hidden checks), :mod:`grading.otter_plugin` (the Otter plugin).
The package holds machinery only: no reference solutions and no hidden tests.
"""
