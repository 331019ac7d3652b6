"""Autoscaling bounds as Databricks takes them."""

from __future__ import annotations


def check_autoscale(min_workers: int, max_workers: int) -> None:
    """Databricks autoscaling takes `max_workers` strictly greater than `min_workers` (the Clusters and
    Jobs APIs' AutoScale: databricks-sdk `compute.AutoScale`); raises ValueError otherwise."""
    if max_workers <= min_workers:
        raise ValueError(
            f"max_workers ({max_workers}) must be greater than min_workers ({min_workers}): Databricks autoscaling "
            "takes max_workers strictly greater (Clusters API, AutoScale)"
        )
