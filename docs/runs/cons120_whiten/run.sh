#!/bin/bash
# The 120-epoch compact + consistency run (docs/runs/narrow_sq_compact_cons120: nearest the survival targets, kNN
# 87.43 on the paper's protocol), whitened as the default was (docs/runs/default_whiten). Then evaluate --degrade.
D="$(dirname "$0")/.."
exec "$D/whiten/whiten_run.sh" cons120_whiten $HOME/albumsum-runs/narrow_sq_compact_cons120/model.pt \
  docs/runs/narrow_sq_compact_cons120/config.json
