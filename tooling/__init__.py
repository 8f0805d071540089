"""Operator and developer tooling: the CLI, the local stack, the sample day, simulation, status and report.

Never staged into a deployed function (deploy/stage.py ships `shared/` only); nothing in `shared/` imports it.
"""
