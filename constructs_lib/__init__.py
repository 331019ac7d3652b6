"""Reusable constructs: typed props in, resources and attributes out. No config files, no env vars."""
