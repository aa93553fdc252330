#!/bin/bash
# A warm restart from the default (docs/runs/narrow_sq_ft_compact, sha256 1ab268321ef54f9a) aimed at the
# survival targets: 24 epochs with the compactness term at 0.1, the degraded-copy consistency term at 1 and a
# moving average of the weights (decay E, default 0.999: about nine epochs' window), evaluated and shipped.
# The consistency restart alone (docs/runs/narrow_sq_ft_compact_cons) bought 1.1 points of emotion survival
# for 0.8 of kNN; in the 12-epoch ladder the average gave the best emotion survival, and on a trained model
# it averages over a settled stretch rather than a moving one.
R=$HOME/albumsum-runs/narrow_sq_ft2_ema_cons
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../narrow_sq_ft_compact/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" narrow_sq_ft2_ema_cons --sgm_form=squared --compact_weight=0.1 \
  --consistency=1 --ema_decay=${E:-0.999} --init_from=$R/start.pt --epochs=24 --lr=5e-4 --warmup_epochs=1 \
  --eval_every=0 "$@"
