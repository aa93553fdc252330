#!/bin/bash
# The default model's sub-classes refitted in the steady directions of the emotion span (two
# directions per emotion, three sub-classes, two for disgust and contempt; trainer/emotion_span.py):
# FER+ train is degraded (seed 1) and embedded again, and each emotion's mixture is fitted where its
# faces spread most relative to how far that moves them.
# Then `evaluate --degrade` on FER+ valid. $1: the checkpoint before (the calibrated model of
# docs/runs/posterior_sigma: `git show d0a0ca9:resources/models/default.pt > calibrated.pt`).
cd /work/main
R=$HOME/albumsum-runs/steady_subclasses
mkdir -p $R
albumsum-train subclasses --checkpoint "$1" --out $R/model.pt --space steady
albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out docs/runs/steady_subclasses/evaluate.json
