"""Nornir inventory bootstrap, credentials and host-key policy, links file, containerlab import."""
