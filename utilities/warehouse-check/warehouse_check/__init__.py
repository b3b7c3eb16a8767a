"""Pre-flight warehouse check: one line, exit 0 when the loader can work, exit 2 naming the problem."""
