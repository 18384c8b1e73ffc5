"""The exact-training engine: :func:`train_exact` runs a local search, then an exact search
(an engine method or a backend's monolithic model) and reports what it proved; infeasibility
certificates. Modules: :mod:`.engine` (policy and public API), :mod:`.phases` (phase plumbing),
:mod:`.certificate`.
"""
