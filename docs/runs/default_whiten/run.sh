#!/bin/bash
# The compact warm restart (docs/runs/narrow_sq_ft_compact, sha256 1ab268321ef54f9a) with a within-class whitening
# of its training embeddings, shrunk towards the identity by S (default 1.0), folded into its embedding head: no
# training (--epochs=0); the class means, the posterior's sigma, the steady sub-classes and the training bank are
# fitted again on the mapped embedding. Then evaluate --degrade on FER+ valid. Run folder ~/albumsum-runs/default_whiten.
D="$(dirname "$0")/.."
exec "$D/whiten/whiten_run.sh" default_whiten${S:+_$S} docs/runs/narrow_sq_ft_compact/model.pt \
  docs/runs/narrow_sq_ft_compact/config.json
