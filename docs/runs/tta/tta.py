"""Multi-crop test-time augmentation on a checkpoint: each face embedded as the mean over views
(the identity and small zooms / shifts, each with its mirror image; the app uses the identity and
its mirror), on FER+ valid and its degraded copy (seed 0, as `evaluate --degrade`).

    python docs/runs/tta/tta.py [resources/models/default.pt]

Prints per view set: posterior and kNN accuracy (ours / the paper's protocol; kNN against the
checkpoint's stored training bank, embedded without the extra views), the same on the degraded
copy (ours), how often a face's emotion and sub-class survive degradation, and the seconds taken.
Embeddings run as the app runs them (bfloat16 where the CPU has it), two threads.
"""

import sys, time
import numpy as np, torch, torch.nn.functional as F

torch.set_num_threads(2)
from albumsum.core.inference import Embedder, _prepare
from albumsum.core.groups import model_subclasses
from trainer.data import load_labelled
from trainer.degrade import degrade_images
from trainer.evaluation import knn_predict

e = Embedder.from_file(sys.argv[1] if len(sys.argv) > 1 else "resources/models/default.pt", device="cpu")
v = load_labelled("../shared/data/ferplus/valid.npz")
bad_imgs = degrade_images(v.images, 0)
bank = e.checkpoint["reference"]
R = bank["embeddings"].float().numpy()
Ry = bank["labels"].numpy()
P = v.paper_protocol()


def views_of(x, views):
    out = []
    n = x.shape[0]
    for s, dx, dy in views:
        theta = torch.tensor([[1 / s, 0, dx], [0, 1 / s, dy]], dtype=x.dtype).expand(n, 2, 3)
        g = F.affine_grid(theta, list(x.shape), align_corners=False)
        y = (
            F.grid_sample(x, g, mode="bilinear", padding_mode="border", align_corners=False)
            if (s, dx, dy) != (1, 0, 0)
            else x
        )
        out += [y, torch.flip(y, dims=[3])]
    return out


@torch.inference_mode()
def embed(crops, views, bs=32):
    chunks = []
    for i in range(0, len(crops), bs):
        x = _prepare(crops[i : i + bs], e.device, e.size, e.mean, e.std)
        vs = views_of(x.contiguous(), views)
        xx = torch.cat(vs).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=e.bf16):
            z = e.net(xx).float()
        chunks.append(z.view(len(vs), len(x), -1).mean(0))
    return torch.cat(chunks).numpy()


px = 2 / 48  # affine_grid units: 2 = full width
SETS = {
    "flip (shipped)": [(1, 0, 0)],
    "+zoom": [(1, 0, 0), (1.1, 0, 0), (0.9, 0, 0)],
    "+shift2": [(1, 0, 0), (1, 2 * px, 0), (1, -2 * px, 0), (1, 0, 2 * px), (1, 0, -2 * px)],
    "+shift2+zoom": [
        (1, 0, 0),
        (1, 2 * px, 0),
        (1, -2 * px, 0),
        (1, 0, 2 * px),
        (1, 0, -2 * px),
        (1.1, 0, 0),
        (0.9, 0, 0),
    ],
}
y = v.labels
for name, views in SETS.items():
    t = time.time()
    z, zb = embed(v.images, views), embed(bad_imgs, views)
    dt = time.time() - t
    pz, pb = e.posteriors(z).argmax(1), e.posteriors(zb).argmax(1)
    kz = knn_predict(z, R, Ry, 11, 8)
    kb = knn_predict(zb, R, Ry, 11, 8)
    sub = model_subclasses(z, pz, e.checkpoint["subclasses"], e.class_names)
    subb = model_subclasses(zb, pb, e.checkpoint["subclasses"], e.class_names)
    same = pz == pb
    print(
        f"{name:16s} views {2 * len(views):2d}  post {100 * (pz == y).mean():.2f}/{100 * (pz[P] == y[P]).mean():.2f}  knn {100 * (kz == y).mean():.2f}/{100 * (kz[P] == y[P]).mean():.2f}"
        f"  deg post {100 * (pb == y).mean():.2f} knn {100 * (kb == y).mean():.2f}  same emo {100 * same.mean():.2f} same sub {100 * (sub[same] == subb[same]).mean():.2f}  {dt:.0f}s",
        flush=True,
    )
