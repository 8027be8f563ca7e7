"""Dagster orchestration of the customer-health warehouse (see docs/orchestration.md)."""
