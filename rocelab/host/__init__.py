"""RDMA host twin: an in-memory Linux host with ConnectX (mlx5) NICs and its command-line surface."""

from rocelab.host.twin import HostTwin

__all__ = ["HostTwin"]
