#!/bin/bash
# Capacity on the long schedule: the 120-epoch compact + consistency recipe (docs/runs/narrow_sq_compact_cons120,
# nearest the survival targets at width 32: docs/RESULTS.md 6.9) at width 36, the widest narrow network that
# embeds no slower than the stock ResNet18 on an AVX2 CPU (docs/BENCHMARKS.md). 6.14 found no difference at
# 12 epochs; this run is the test at full length. About 220 s an epoch in float32 on a 2-core AVX2 CPU
# (about 7.5 hours: several sessions); rerunning resumes (docs/runs/long_run.sh, also from a committed
# resume state on a new machine). Then whiten it as the default was: docs/runs/w36_cons120_whiten/run.sh.
exec "$(dirname "$0")/../long_run.sh" w36_compact_cons120 --width=36 --sgm_form=squared --compact_weight=0.1 \
  --consistency=1 --consistency_after=80 --epochs=${EPOCHS:-120} --eval_every=10 "$@"
