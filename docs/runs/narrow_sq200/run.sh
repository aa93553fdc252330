#!/bin/bash
# The shipped recipe (docs/runs/narrow_sq: the narrow network, squared SGM) on a 200-epoch schedule
# from scratch, the "longer schedule" rung of the ladder: the 120-epoch run still gained 1.2 points
# of kNN over its last 10 epochs. Several sessions on a 2-core CPU (55-80 s an epoch); rerunning
# resumes (docs/runs/long_run.sh: also from a committed resume state on a new machine).
exec "$(dirname "$0")/../long_run.sh" narrow_sq200 --sgm_form=squared --epochs=${EPOCHS:-200} --eval_every=20 "$@"
