"""Scale and speed benchmarks of roce-agent (see benchmarks/README.md)."""
