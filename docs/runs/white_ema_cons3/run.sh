#!/bin/bash
# docs/runs/white_ema_cons with the degraded-copy consistency term at W (default 3) instead of 1, all else the
# same: 24 epochs from the whitened default (sha256 939d0a69a4cbea5d), compact 0.1, a moving average of the
# weights (decay 0.999), peak learning rate 3e-4, whitened again at the end. It maps how much emotion survival
# a heavier term buys and what it costs in kNN (docs/RESULTS.md 6.11).
R=$HOME/albumsum-runs/white_ema_cons3
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../default_whiten/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" white_ema_cons3 --sgm_form=squared --compact_weight=0.1 --consistency=${W:-3} \
  --ema_decay=0.999 --whiten=true --whiten_shrink=1.0 --init_from=$R/start.pt --epochs=24 --lr=3e-4 \
  --warmup_epochs=1 --eval_every=0 "$@"
