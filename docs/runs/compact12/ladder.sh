#!/bin/bash
# The compactness term (`--compact_weight`, trainer/losses.py) against the shipped recipe (squared
# SGM), 12 epochs each from scratch with the narrow recipe (the ladder's budget, docs/runs/ladder12),
# then `evaluate --degrade` on FER+ valid. Rerunning resumes or skips finished runs.
# Usage: docs/runs/compact12/ladder.sh [name weight]...   (default: squared 0, compact01 0.1, compact03 0.3)
cd "$(dirname "$0")/../../.."
L=$HOME/albumsum-runs/compact12
mkdir -p $L
run() {
  name=$1; weight=$2
  if [ ! -f $L/$name/model.pt ]; then
    albumsum-train fit --config trainer/recipes/narrow.toml --sgm_form=squared --compact_weight=$weight \
      --epochs=12 --eval_every=0 --out_dir=$L/$name >> $L/$name.log 2>&1 || return
  fi
  [ -f $L/$name/evaluate.json ] || albumsum-train evaluate --checkpoint $L/$name/model.pt \
      --data ../shared/data/ferplus/valid.npz --degrade --bf16 --out $L/$name/evaluate.json >> $L/$name.log 2>&1
}
set -- ${@:-squared 0 compact01 0.1 compact03 0.3}
while [ $# -ge 2 ]; do run $1 $2; shift 2; done
