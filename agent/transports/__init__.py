"""Transports that are not SSH: `docker exec` into containerlab nodes (sonic-vs has no sshd)."""
