"""Sandboxed, tamper-resistant grading for the course's Otter autograders.

Public modules: :mod:`grading.runner` (grade one notebook), :mod:`grading.checks`
(the vocabulary of hidden checks), :mod:`grading.records` (job, verdict and report
records), :mod:`grading.launch` (grade in a fresh process), :mod:`grading.otter_plugin`
(the Otter plugin) and :mod:`grading.otter_tests` (the zip's test files).
The package holds machinery only: no reference solutions and no hidden tests.
"""
