"""Scale and speed benchmarks of roce-agent (see benchmarks/README.md)."""

import warnings

# Some benchmark modules import asyncssh before rocelab: the same narrow filter as rocelab/__init__.py.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
