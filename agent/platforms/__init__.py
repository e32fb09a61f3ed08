"""Platform adapters: each turns native device state into DeviceState and intent into native config."""
