#!/bin/bash
# The narrow recipe with the ladder's winner (squared SGM, docs/RESULTS.md §6.3.1) on a long
# schedule, from scratch, then `evaluate --degrade` on FER+ valid. Rerunning resumes from last.pt.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq
EPOCHS=${EPOCHS:-120}  # launched with 150; cut to 120 at epoch 58 to fit the session
mkdir -p $R
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared \
  --epochs=$EPOCHS --eval_every=10 --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
