#!/bin/bash
# A warm restart of the shipped model (docs/runs/narrow_sq): 24 more epochs of the same recipe at a
# lower peak learning rate, then `evaluate --degrade` on FER+ valid. Rerunning resumes from last.pt.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq_ft
mkdir -p $R
[ -f $R/start.pt ] || cp resources/models/default.pt $R/start.pt
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared --init_from=$R/start.pt \
  --epochs=24 --lr=5e-4 --warmup_epochs=1 --eval_every=0 --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
