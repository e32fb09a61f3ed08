"""`benchmarks` lives at the repository root, next to `agent`; make it importable however pytest is started."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
