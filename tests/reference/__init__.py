"""Independent Python references for the warehouse's computations.

They read the RAW tables (the raw-source contract) and apply the documented definitions
(docs/health_definitions.md, seeds/definitions/health_indicators.csv) with pandas and
numpy; they never read a staging, intermediate or mart model, so a test that compares
them with the models compares two implementations, not one with itself.
"""
