"""The built-in lab: device twins (SONiC switch, RDMA host) served over real SSH, and its runtime.

asyncssh, which only the lab uses, still names cryptography's DSA classes at import time, and
cryptography >= 43 answers each with a CryptographyDeprecationWarning: ten lines on stderr of every
`roce-agent lab ...`, `rocelab ...` and lab-process start, none of them about anything the user did.
Every path to asyncssh goes through this package (the CLI, `python -m rocelab.runtime`, the
benchmarks), so the one filter below, installed before any submodule imports asyncssh, covers all entry
points. It is as narrow as it can be: that message, attributed to asyncssh's own modules only; a DSA
warning from any other code still shows.
"""

import warnings

warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
