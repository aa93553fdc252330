#!/bin/bash
# The shipped model of docs/runs/narrow_sq with its posterior's sigma refitted on its stored training
# embeddings (trainer/calibrate.py), then `evaluate --degrade` on FER+ valid. The network, means,
# priors, sub-classes and kNN bank are unchanged. $1: the checkpoint before calibration (the
# narrow_sq model: `git show f1e0fab:resources/models/default.pt > narrow_sq.pt`).
cd /work/main
R=$HOME/albumsum-runs/posterior_sigma
mkdir -p $R
albumsum-train calibrate --checkpoint "$1" --out $R/model.pt
albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out docs/runs/posterior_sigma/evaluate.json
