"""Fabric topology: links between switch ports and host NICs, and graph helpers."""
