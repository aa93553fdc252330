#!/bin/bash
# The warm restart of docs/runs/narrow_sq_ft (24 epochs of the shipped recipe from the default model
# at sha256 6b7bac198e34dd5a, peak learning rate 5e-4) with the compactness term at weight W (default
# 0.1, docs/runs/compact12), so the two differ by the term alone; then `evaluate --degrade`.
R=$HOME/albumsum-runs/narrow_sq_ft_compact
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../../../resources/models/default.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" narrow_sq_ft_compact --sgm_form=squared --compact_weight=${W:-0.1} \
  --init_from=$R/start.pt --epochs=24 --lr=5e-4 --warmup_epochs=1 --eval_every=0 "$@"
