#!/bin/bash
# The shipped network's sub-classes refitted with paired EM and a stability-chosen count (docs/RESULTS.md 6.15):
# in each emotion's two steady directions, a training face and its degraded copy (seed 1) share a component, and
# each emotion gets the most components (3 down to 2) whose sub-class holds on a second degraded copy of the
# training faces (seed 2) for at least 80 % of them. The network, means, sigma and kNN bank are unchanged.
# Then `evaluate --degrade` of the refit and of the checkpoint it came from, one after the other (float32 unless
# this CPU has native bfloat16, as the app embeds).
# Usage: docs/runs/paired_keep/run.sh [CHECKPOINT]   (default: resources/models/default.pt)
cd "$(dirname "$0")/../../.."
IN=${1:-resources/models/default.pt}
R=$HOME/albumsum-runs/paired_keep
mkdir -p $R
[ -f $R/model.pt ] || albumsum-train subclasses --checkpoint $IN --out $R/model.pt --space steady --paired --keep 0.8 \
  >> $R/log.txt 2>&1 || exit 1
for name in model before; do
  ck=$R/model.pt; [ $name = before ] && ck=$IN
  [ -f $R/evaluate_$name.json ] || albumsum-train evaluate --checkpoint $ck --data ../shared/data/ferplus/valid.npz \
    --degrade --bf16 auto --out $R/evaluate_$name.json >> $R/log.txt 2>&1 || exit 1
done
cp $R/log.txt $R/evaluate_model.json $R/evaluate_before.json docs/runs/paired_keep/
