#!/bin/bash
# docs/runs/white_ema_cons with the degraded-copy consistency term at 3 instead of 1, all else the same: how much
# emotion survival a heavier term buys and what it costs in kNN (docs/RESULTS.md 6.11).
W=3 exec "$(dirname "$0")/../white_ema_cons/run.sh" "$@"
