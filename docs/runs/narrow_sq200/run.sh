#!/bin/bash
# The shipped recipe (docs/runs/narrow_sq: the narrow network, squared SGM) on a 200-epoch schedule
# from scratch, the "longer schedule" rung of the ladder: the 120-epoch run still gained 1.2 points
# of kNN over its last 10 epochs. Now with the fitted posterior sigma and steady sub-classes that
# `fit` writes itself. Then `evaluate --degrade` on FER+ valid. Several sessions on a 2-core CPU
# (about 80 s an epoch): rerunning resumes from last.pt.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq200
EPOCHS=${EPOCHS:-200}
mkdir -p $R
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared \
  --epochs=$EPOCHS --eval_every=20 --progress=false --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
