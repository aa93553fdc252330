#!/bin/bash
# What shipping the whitened width-36 model (~/albumsum-runs/w36_cons120_whiten/model.pt, written by
# docs/runs/w36_compact_cons120/run.sh) needs measured beyond its evaluate.json, each against the default, at
# nice 19, outputs beside this script:
#
#   nmi_seeds.txt          k-means NMI over seeds 0-4, default then new (docs/runs/nmi_seeds/nmi_seeds.py)
#   embed_throughput.txt   the app's faces/s, new / default, one run (bench/embed_throughput.py)
#   embed_stock.txt        new / the stock-stem ResNet18 the issue measured against (git 88d80d2), one run
#   recrop.json            re-crop agreement, as docs/runs/default_whiten/recrop.json was measured
#   album_eta.txt          its sub-classes' share of the shared album's face-quality variance (an index of the
#                          album embedded by this network in /tmp, as docs/RESULTS.md 6.6 describes)
#
#   docs/runs/w36_cons120_whiten/compare.sh [MODEL.pt]
# Pause other trainings first for the two throughput files (they time the CPU).
cd "$(dirname "$0")/../../.." || exit 1
HERE=docs/runs/w36_cons120_whiten
NEW=${1:-$HOME/albumsum-runs/w36_cons120_whiten/model.pt}
VALID=../shared/data/ferplus/valid.npz
[ -e "$NEW" ] || { echo "no model at $NEW: run docs/runs/w36_compact_cons120/run.sh to the end first" >&2; exit 1; }
N="nice -n ${NICE:-19}"
set -x
$N python docs/runs/nmi_seeds/nmi_seeds.py resources/models/default.pt "$NEW" > $HERE/nmi_seeds.txt || exit 1
$N python bench/embed_throughput.py "$NEW" --against resources/models/default.pt --batch 32 256 --rounds 5 \
  > $HERE/embed_throughput.txt || exit 1
git show 88d80d2:resources/models/default.pt > /tmp/r18_default.pt || exit 1
$N python bench/embed_throughput.py "$NEW" --against /tmp/r18_default.pt --batch 32 256 --rounds 5 \
  > $HERE/embed_stock.txt || exit 1
mkdir -p runs/recrop
$N albumsum-train recrop --checkpoint "$NEW" --data $VALID --n 300 --skip 80 \
  --detections runs/recrop/detections_300_80.npz --out $HERE/recrop.json || exit 1
rm -f /tmp/album_w36.sqlite
$N albumsum index ../shared/data/album --db /tmp/album_w36.sqlite --model "$NEW" > /dev/null || exit 1
$N python docs/runs/steady_subclasses/album_eta.py /tmp/album_w36.sqlite "$NEW" > $HERE/album_eta.txt
