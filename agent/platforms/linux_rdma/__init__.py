"""RDMA hosts: NIC gather/normalize/plan/apply via dcb, rdma, ethtool, sysfs/configfs and pyroute2.

Flow (the `linux-rdma` platform adapter, `adapter.ADAPTER`):

    commands  validated values -> argument lists / quoted command lines (the only way anything is run)
    batch     many commands in one round trip, split back by echo markers (SSH) or run natively (local)
    gather    one batch per host -> HostRaw (raw sections, saveable as a snapshot)
    parse     tool output -> native values; failures -> Problems that say what to do
    normalize HostNative -> DeviceState (kind=host) for the checks
    render    policy or snapshot -> NicTarget;  plan: NicTarget vs NIC -> ordered operations
    ops       operation -> commands, and the re-read check of its effect
    apply     snapshot, write + re-read per step, wait out mlx5 link flaps, restore on failure
    executors LocalRunner (on the host itself; pyroute2 for MTU and link events)

Remote hosts use the shared Netmiko `linux` runner (`agent.transports.ssh.NetmikoRunner`).
"""
