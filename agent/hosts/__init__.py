"""RDMA hosts: NIC gather/normalize/apply via dcb, rdma, ethtool, sysfs and pyroute2."""
