"""JSON schemas, one file per stream."""
