"""Runtime machinery of the app itself (not constructs): how provider packages are loaded."""
