#!/bin/bash
# Capacity at equal epochs: the shipped recipe's terms (narrow network, squared SGM, compact 0.1) at width 32 (the
# shipped network) and width 36 (the widest that embeds no slower than the stock ResNet18 on an AVX2 CPU,
# docs/BENCHMARKS.md), 12 epochs each from scratch (the ladder's budget, docs/runs/compact12), then
# `evaluate --degrade` on FER+ valid, as the app embeds on this CPU (bfloat16 only where it is native).
# Both on one machine, one after the other, at nice 19. Rerunning resumes or skips finished runs.
# Usage: docs/runs/width12/ladder.sh [name width]...   (default: w32 32 w36 36)
cd "$(dirname "$0")/../../.."
L=$HOME/albumsum-runs/width12
mkdir -p $L
run() {
  name=$1; width=$2
  if [ ! -f $L/$name/model.pt ]; then
    nice -n 19 albumsum-train fit --config trainer/recipes/narrow.toml --width=$width --sgm_form=squared \
      --compact_weight=0.1 --epochs=12 --eval_every=0 --progress=false --out_dir=$L/$name >> $L/$name.log 2>&1 || return
  fi
  [ -f $L/$name/evaluate.json ] || nice -n 19 albumsum-train evaluate --checkpoint $L/$name/model.pt \
      --data ../shared/data/ferplus/valid.npz --degrade --bf16 auto --out $L/$name/evaluate.json >> $L/$name.log 2>&1
  mkdir -p docs/runs/width12/$name && cp $L/$name/config.json $L/$name/metrics.jsonl $L/$name/evaluate.json docs/runs/width12/$name/
}
set -- ${@:-w32 32 w36 36}
while [ $# -ge 2 ]; do run $1 $2; shift 2; done
