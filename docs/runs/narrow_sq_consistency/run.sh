#!/bin/bash
# The shipped recipe (docs/runs/narrow_sq) plus the degraded-copy consistency term (weight 1, a
# quarter of the batch size in sharp faces copied and degraded), 50 epochs from scratch, then
# `evaluate --degrade` on FER+ valid. Rerunning resumes from last.pt.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq_consistency
EPOCHS=${EPOCHS:-50}  # launched with 100; cut to 60 at epoch 4 and to 50 at epoch 6: this machine ran 87-98 s an epoch
mkdir -p $R
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared \
  --consistency=1 --consistency_share=0.25 \
  --epochs=$EPOCHS --eval_every=10 --progress=false --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
