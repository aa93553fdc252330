#!/bin/bash
# The recipe ladder: every candidate from scratch with the narrow recipe, 12 epochs each (equal
# compute: one network, one batch size, one step count; wall time is in each train.log), then
# `evaluate --degrade` on FER+ valid. Rerunning resumes or skips finished runs.
cd /work/main
L=$HOME/albumsum-runs/ladder
mkdir -p $L
run() {
  name=$1; shift
  if [ ! -f $L/$name/model.pt ]; then
    nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --epochs=12 --eval_every=0 \
      --out_dir=$L/$name "$@" >> $L/$name.log 2>&1 || return
  fi
  [ -f $L/$name/evaluate.json ] || nice -n 19 albumsum-train evaluate --checkpoint $L/$name/model.pt \
      --data ../shared/data/ferplus/valid.npz --degrade --bf16 --out $L/$name/evaluate.json >> $L/$name.log 2>&1
}
run base
run ema --ema_decay=0.998
run geometry --max_rotate=30 --max_scale=0.2 --max_shift=0.2
run mixup --mixup=0.4
run squared --sgm_form=squared
run sgm_only --ce_weight=0
run sigma035 --sigma=0.35
