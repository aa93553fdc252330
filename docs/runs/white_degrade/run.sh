#!/bin/bash
# The degradation's share of training faces as a lever for the survival targets (docs/RESULTS.md 6.12). Every
# run since the narrow recipe trained with the crowd-photo degradation on 30 % of its faces (degrade_prob 0.3),
# and no rung has varied it. This is white_ema_cons (docs/runs/white_ema_cons/run.sh: a 24-epoch warm restart
# from the whitened default, compact 0.1, consistency 1, weight EMA 0.999, peak lr 3e-4, whitened again) with the
# degradation on P of the faces (default 0.6; run folder white_degradeNN for P = 0.NN).
P=${P:-0.6}
NAME=white_degrade$(printf '%02d' "$(python -c "print(round($P*100))")")
R=$HOME/albumsum-runs/$NAME
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../default_whiten/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" $NAME --sgm_form=squared --compact_weight=0.1 --consistency=1 \
  --degrade_prob=$P --ema_decay=0.999 --whiten=true --whiten_shrink=1.0 --init_from=$R/start.pt --epochs=24 \
  --lr=3e-4 --warmup_epochs=1 --eval_every=0 "$@"
