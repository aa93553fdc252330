#!/bin/bash
# The compact warm restart (docs/runs/narrow_sq_ft_compact) continued: 24 more epochs from its model
# (sha256 1ab268321ef54f9a) with the compactness term kept at 0.1 and the degraded-copy consistency term at
# C (default 1) switched on from the start, at the same peak learning rate (5e-4). The 120-epoch run with
# both terms (docs/runs/narrow_sq_compact_cons120) came closest to the survival targets but lost kNN; this
# asks whether the consistency term alone, on the better model, buys survival without that loss.
R=$HOME/albumsum-runs/narrow_sq_ft_compact_cons
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../narrow_sq_ft_compact/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" narrow_sq_ft_compact_cons --sgm_form=squared --compact_weight=0.1 \
  --consistency=${C:-1} --init_from=$R/start.pt --epochs=24 --lr=5e-4 --warmup_epochs=1 --eval_every=0 "$@"
