#!/bin/bash
# A training that spans sessions and machines: the narrow recipe with the given flags, at nice 19,
# (NICE=N for another priority) resumable from the run folder's last.pt, then `evaluate --degrade` on FER+ valid.
#
#   docs/runs/long_run.sh NAME [fit flags...]         train (or resume), then evaluate
#   docs/runs/long_run.sh NAME save_resume            copy the full training state into docs/runs/NAME
#
# The run folder is ~/albumsum-runs/NAME (log ~/albumsum-runs/NAME.log). When it has no last.pt and
# docs/runs/NAME holds a committed resume state (resume.pt, written by save_resume at the end of a
# session and committed), the run starts from that, so a lost machine costs only the epochs since.
cd "$(dirname "$0")/../.."
NAME=$1; shift
HERE=docs/runs/$NAME
R=$HOME/albumsum-runs/$NAME
mkdir -p $R $HERE
if [ "$1" = "save_resume" ]; then
  cp $R/last.pt $HERE/resume.pt && cp $R/metrics.jsonl $HERE/metrics.jsonl && cp $R.log $HERE/train.log
  exit
fi
if [ ! -e $R/last.pt ] && [ -e $HERE/resume.pt ]; then
  cp $HERE/resume.pt $R/last.pt
  [ -e $HERE/metrics.jsonl ] && cp $HERE/metrics.jsonl $R/metrics.jsonl
fi
nice -n ${NICE:-19} albumsum-train fit --config trainer/recipes/narrow.toml --progress=false --out_dir=$R "$@" \
  >> $R.log 2>&1 || exit 1
cp $R/config.json $R/metrics.jsonl $HERE/
# embed as the app does on this CPU: under bfloat16 where it has native bfloat16, else in float32 (emulated
# bfloat16 embeds 7-13x slower there: docs/BENCHMARKS.md)
nice -n ${NICE:-19} albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 auto --out $R/evaluate.json >> $R.log 2>&1 && cp $R/evaluate.json $HERE/
