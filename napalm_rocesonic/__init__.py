"""NAPALM community-driver discovery module for SONiC (platform name ``rocesonic``).

Only the driver class is exported, as NAPALM's discovery expects.
"""
