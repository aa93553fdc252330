#!/bin/bash
# The warm restart of docs/runs/narrow_sq_ft (the shipped model, 24 more epochs at peak 5e-4) with
# the degraded-copy consistency term switched on (weight 1, a quarter of the batch size in sharp
# faces copied and degraded): the term applied only once the emotions have formed. Then
# `evaluate --degrade` on FER+ valid. Rerunning resumes from last.pt.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq_ft_consistency
EPOCHS=${EPOCHS:-24}
mkdir -p $R
[ -f $R/start.pt ] || cp resources/models/default.pt $R/start.pt
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared --init_from=$R/start.pt \
  --consistency=1 --consistency_share=0.25 \
  --epochs=$EPOCHS --lr=5e-4 --warmup_epochs=1 --eval_every=8 --progress=false --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
