"""What a platform engineer runs: the project's `cdktf`, preflight and smoke checks, saved plans, the agent probe.

Each is reached through a Makefile target (`make help` lists them); docs/deploying.md says when to run which.
"""
