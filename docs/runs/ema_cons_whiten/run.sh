#!/bin/bash
# The warm restart with the consistency term and the weight average (docs/runs/narrow_sq_ft2_ema_cons), whitened
# as the default was (docs/runs/default_whiten): no training, the within-class whitening (shrink 1) folded into
# its head, the class means, sigma, steady sub-classes and bank fitted again. Then evaluate --degrade.
D="$(dirname "$0")/.."
exec "$D/whiten/whiten_run.sh" ema_cons_whiten $HOME/albumsum-runs/narrow_sq_ft2_ema_cons/model.pt \
  docs/runs/narrow_sq_ft2_ema_cons/config.json
