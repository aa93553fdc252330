#!/bin/bash
# The compact warm restart (docs/runs/narrow_sq_ft_compact, sha256 1ab268321ef54f9a) with a within-class
# whitening of its training embeddings, shrunk towards the identity by S (default 1.0), folded into its
# embedding head: no training (--epochs=0); the class means, the posterior's sigma, the steady sub-classes
# and the training bank are fitted again on the mapped embedding. Then evaluate --degrade on FER+ valid.
cd "$(dirname "$0")/../../.."
R=$HOME/albumsum-runs/default_whiten${S:+_$S}
mkdir -p $R
nice -n ${NICE:-19} albumsum-train fit --config docs/runs/narrow_sq_ft_compact/config.json \
  --init_from=docs/runs/narrow_sq_ft_compact/model.pt --epochs=0 --whiten=true --whiten_shrink=${S:-1.0} \
  --progress=false --out_dir=$R > $R.log 2>&1 || exit 1
nice -n ${NICE:-19} albumsum-train evaluate --checkpoint $R/model.pt --data ../shared/data/ferplus/valid.npz \
  --degrade --bf16 --out $R/evaluate.json >> $R.log 2>&1
