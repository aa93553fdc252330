#!/bin/bash
# Capacity on the long schedule: the 120-epoch compact + consistency recipe (docs/runs/narrow_sq_compact_cons120,
# nearest the survival targets at width 32: docs/RESULTS.md 6.9) at width 36, the widest narrow network that
# embeds no slower than the stock ResNet18 on an AVX2 CPU (docs/BENCHMARKS.md). 6.14 found no difference at
# 12 epochs; this run is the test at full length. About 220 s an epoch in float32 on a 2-core AVX2 CPU
# (about 7.5 hours: several sessions); rerunning resumes from ~/albumsum-runs/w36_compact_cons120/last.pt
# (docs/runs/long_run.sh; on a new machine from docs/runs/w36_compact_cons120/resume.pt once `long_run.sh
# w36_compact_cons120 save_resume` has been committed). Then whiten it as docs/runs/cons120_whiten/run.sh
# whitens the width-32 run (docs/runs/whiten/whiten_run.sh): this script does that next, into
# ~/albumsum-runs/w36_cons120_whiten, and copies its config and evaluation into docs/runs/w36_cons120_whiten.
D="$(cd "$(dirname "$0")/.." && pwd)"
"$D/long_run.sh" w36_compact_cons120 --width=36 --sgm_form=squared --compact_weight=0.1 \
  --consistency=1 --consistency_after=80 --epochs=${EPOCHS:-120} --eval_every=10 "$@" || exit 1
[ "$1" = save_resume ] && exit
R=$HOME/albumsum-runs/w36_cons120_whiten
"$D/whiten/whiten_run.sh" w36_cons120_whiten $HOME/albumsum-runs/w36_compact_cons120/model.pt \
  "$D/w36_compact_cons120/config.json" || exit 1
mkdir -p "$D/w36_cons120_whiten" && cp $R/config.json $R/evaluate.json "$D/w36_cons120_whiten/"
