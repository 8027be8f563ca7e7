"""The demo data generator: one deterministic B2B book of business in the raw-source contract.

Kept apart from the runtime package (like jaffle-shop's jafgen): the warehouse never imports
it; the demo, the tests and the benchmarks use it to land raw tables.

    python -m healthgen --duckdb-path warehouse/health.duckdb --accounts 300 --days 400
"""

__version__ = "0.2.0"
