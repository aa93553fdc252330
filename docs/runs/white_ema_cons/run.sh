#!/bin/bash
# A warm restart from the whitened default (docs/runs/default_whiten, sha256 939d0a69a4cbea5d) for the survival
# targets, combining the two restarts that came nearest (docs/RESULTS.md 6.10): white_ft_cons's start and peak
# learning rate (3e-4) with narrow_sq_ft2_ema_cons's moving average of the weights (decay 0.999, evaluated and
# shipped), which there kept 0.5 more kNN than the same term without it. 24 epochs with compact 0.1 and the
# degraded-copy consistency term at W (default 1; run folder white_ema_cons, or white_ema_consW for another W),
# then whitened again at the end (--whiten), as the default.
W=${W:-1}
NAME=white_ema_cons; [ "$W" = 1 ] || NAME=white_ema_cons$W
R=$HOME/albumsum-runs/$NAME
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../default_whiten/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" $NAME --sgm_form=squared --compact_weight=0.1 --consistency=$W \
  --ema_decay=0.999 --whiten=true --whiten_shrink=1.0 --init_from=$R/start.pt --epochs=24 --lr=3e-4 \
  --warmup_epochs=1 --eval_every=0 "$@"
