"""Push the planned stock to every channel (see README.md)."""
