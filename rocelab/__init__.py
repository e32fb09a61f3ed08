"""The built-in lab: device twins (SONiC switch, RDMA host) served over real SSH, and its runtime."""
