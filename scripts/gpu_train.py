"""The GPU budget trainer (:mod:`trainer.gpu_budget`) from a bare checkout:

python3 scripts/gpu_train.py --data /tmp/ferplus --out "$OUT" [--budget 480] [--runs fine,stock]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.gpu_budget import main

if __name__ == "__main__":
    sys.exit(main())
