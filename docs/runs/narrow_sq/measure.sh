#!/bin/bash
# After run.sh: what shipping the run's model needs measured, against the shipped default, on this
# machine: the re-crop agreement (the faces MTCNN found in the default's run are reused), and the
# app's embedding speed of both in one run.
cd /work/main
R=$HOME/albumsum-runs/narrow_sq
albumsum-train recrop --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz --n 300 --skip 80 \
  --detections $HOME/albumsum-runs/recrop/detections_300_80.npz --out $R/recrop.json > $R/recrop.log 2>&1
python bench/embed_throughput.py $R/model.pt --batch 16 32 64 128 256 --rounds 5 > $R/embed_throughput.txt 2>&1
