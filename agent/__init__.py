"""roce-agent: configure and validate lossless RoCE fabrics from one declared policy."""

__version__ = "0.1.0"
