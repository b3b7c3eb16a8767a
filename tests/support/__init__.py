"""Test support for the warehouse suites (tests/warehouses/): ground-truth comparison, a fresh PostgreSQL
database per test, and the Snowflake emulator (fakesnow plus the stage emulation target-snowflake needs).
Nothing here is part of the product; see docs/warehouses.md."""
