"""Sandboxed, tamper-resistant grading for the course's Otter autograders.

Public modules: :mod:`grading.runner` (grade one notebook), :mod:`grading.checks`
(the vocabulary of hidden checks), :mod:`grading.records` (job, verdict and report
records), :mod:`grading.launch` (grade in a fresh process), :mod:`grading.otter_plugin`
(the Otter plugin), :mod:`grading.otter_tests` (the zip's test files) and
:mod:`grading.feedback` (the feedback policies applied to ``results.json``).
The package holds machinery only: no reference solutions and no hidden tests.
"""
