"""Problem statements: :class:`TrainingProblem` (a whole network) in :mod:`.training` and
:class:`TargetProblem` / :class:`TargetAssignment` (one layer's targets) in :mod:`.layer`.

This package sits below the solvers: it never imports :mod:`mixedopt.solvers`.
"""
