"""Helpers of the executive health dashboard (data access, charts, shared widgets)."""
