#!/bin/bash
# A warm restart from the whitened default (docs/runs/default_whiten, sha256 939d0a69a4cbea5d) for the survival
# targets: 24 epochs with compact 0.1 and the degraded-copy consistency term at 1, peak learning rate 3e-4 (lower
# than the earlier restarts' 5e-4, to keep more of the start), then whitened again at the end (--whiten), so the
# embedding it ships is as round as the default's.
R=$HOME/albumsum-runs/white_ft_cons
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../default_whiten/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" white_ft_cons --sgm_form=squared --compact_weight=0.1 --consistency=1 \
  --whiten=true --whiten_shrink=1.0 --init_from=$R/start.pt --epochs=24 --lr=3e-4 --warmup_epochs=1 \
  --eval_every=0 "$@"
