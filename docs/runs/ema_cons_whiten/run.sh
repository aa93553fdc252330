#!/bin/bash
# The warm restart with the consistency term and the weight average (docs/runs/narrow_sq_ft2_ema_cons), whitened
# as the default was (docs/runs/default_whiten): no training, the within-class whitening (shrink 1) folded into
# its head, the class means, sigma, steady sub-classes and bank fitted again. Then evaluate --degrade.
cd "$(dirname "$0")/../../.."
R=$HOME/albumsum-runs/ema_cons_whiten
mkdir -p $R
nice -n ${NICE:-19} albumsum-train fit --config docs/runs/narrow_sq_ft2_ema_cons/config.json \
  --init_from=$HOME/albumsum-runs/narrow_sq_ft2_ema_cons/model.pt --epochs=0 --ema_decay=0 --consistency=0 \
  --whiten=true --whiten_shrink=1.0 --progress=false --out_dir=$R > $R.log 2>&1 || exit 1
nice -n ${NICE:-19} albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
