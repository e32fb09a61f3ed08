"""Load balancing for RoCE: ECMP/LAG hash settings and the fabric entropy model built on them."""
