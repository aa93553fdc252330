#!/bin/bash
# The shipped recipe (docs/runs/narrow_sq: the narrow network, squared SGM) on a 200-epoch schedule
# from scratch, the "longer schedule" rung of the ladder: the 120-epoch run still gained 1.2 points
# of kNN over its last 10 epochs. Now with the fitted posterior sigma and steady sub-classes that
# `fit` writes itself. Then `evaluate --degrade` on FER+ valid. Several sessions on a 2-core CPU
# (about 80 s an epoch): rerunning resumes from last.pt.
#
# A run that spans machines: when the run folder has no last.pt and this folder holds a committed
# resume state (resume.pt, written by `save_resume` below at the end of a session), the run starts
# from it, so losing the machine costs only the epochs since that commit.
cd /work/main
HERE=docs/runs/narrow_sq200
R=$HOME/albumsum-runs/narrow_sq200
EPOCHS=${EPOCHS:-200}
mkdir -p $R
if [ "$1" = "save_resume" ]; then
  # copy the latest full training state into the repository (commit it afterwards)
  cp $R/last.pt $HERE/resume.pt && cp $R/metrics.jsonl $HERE/metrics.jsonl && cp $R.log $HERE/train.log
  exit
fi
if [ ! -e $R/last.pt ] && [ -e $HERE/resume.pt ]; then
  cp $HERE/resume.pt $R/last.pt
  [ -e $HERE/metrics.jsonl ] && cp $HERE/metrics.jsonl $R/metrics.jsonl
fi
nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared \
  --epochs=$EPOCHS --eval_every=20 --progress=false --out_dir=$R >> $R.log 2>&1 || exit 1
nice -n 19 albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
