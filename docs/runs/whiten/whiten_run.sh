#!/bin/bash
# Whiten a trained model without training: the within-class whitening of its training embeddings (shrink S,
# default 1.0) folded into its head, then the class means, sigma, steady sub-classes and bank fitted again
# (`fit --epochs=0 --whiten`), then evaluate --degrade on FER+ valid.
#
#   docs/runs/whiten/whiten_run.sh NAME MODEL.pt CONFIG.json    -> ~/albumsum-runs/NAME (log ~/albumsum-runs/NAME.log)
#
# CONFIG is the model's training config (its sub-class settings are kept; its training terms do not run).
# evaluate embeds as the app does on this CPU (--bf16 auto: bfloat16 where it is native, as on the machine of
# the runs this script has whitened so far, else float32).
cd "$(dirname "$0")/../../.."
NAME=$1 MODEL=$2 CONFIG=$3
R=$HOME/albumsum-runs/$NAME
mkdir -p $R
nice -n ${NICE:-19} albumsum-train fit --config $CONFIG --init_from=$MODEL --epochs=0 --ema_decay=0 --consistency=0 \
  --whiten=true --whiten_shrink=${S:-1.0} --progress=false --out_dir=$R > $R.log 2>&1 || exit 1
nice -n ${NICE:-19} albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 auto --out $R/evaluate.json >> $R.log 2>&1
