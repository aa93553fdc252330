#!/bin/bash
# A second warm restart, from the default (docs/runs/narrow_sq_ft_compact, sha256 1ab268321ef54f9a): 24 epochs
# with the compactness term raised to W (default 0.3) at the same peak learning rate (5e-4). At 0.3 from
# scratch the term was too tight to train well in 12 epochs (docs/RESULTS.md 6.8); on a trained embedding it
# may pull the large emotions in far enough for k-means to find them (6.7: NMI 65 needs that).
R=$HOME/albumsum-runs/narrow_sq_ft2_compact03
mkdir -p $R
[ -f $R/start.pt ] || cp "$(dirname "$0")/../narrow_sq_ft_compact/model.pt" $R/start.pt
exec "$(dirname "$0")/../long_run.sh" narrow_sq_ft2_compact03 --sgm_form=squared --compact_weight=${W:-0.3} \
  --init_from=$R/start.pt --epochs=24 --lr=5e-4 --warmup_epochs=1 --eval_every=0 "$@"
