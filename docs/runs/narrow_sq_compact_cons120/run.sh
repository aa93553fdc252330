#!/bin/bash
# The shipped recipe (docs/runs/narrow_sq: the narrow network, squared SGM) from scratch on the default's
# 120-epoch schedule (so the two differ by the terms alone), with the two terms the ladder found for
# what the default lacks:
#   - the compactness term at 0.1 (docs/RESULTS.md 6.8: +6.1 k-means NMI at 12 epochs), throughout;
#   - the consistency term at 1 (6.3.3: survival under degradation), switched on for the last third
#     only (--consistency_after=80), once the emotions have formed, at the learning rate (a quarter of
#     the peak) at which the warm restart with it still moved survival.
# About two hours on a quiet 2-core CPU (55-80 s an epoch); rerunning resumes (docs/runs/long_run.sh: also
# from a committed resume state on a new machine).
exec "$(dirname "$0")/../long_run.sh" narrow_sq_compact_cons120 --sgm_form=squared --compact_weight=0.1 \
  --consistency=1 --consistency_after=80 --epochs=${EPOCHS:-120} --eval_every=10 "$@"
