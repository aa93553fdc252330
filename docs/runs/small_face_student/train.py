"""A network for small faces, distilled from the shipped one (docs/RESULTS.md 6.18).

The app knows each face's size in the photo. Could faces too small for the shipped network's detail
go to a second network of the same shape, trained to put a degraded face where the shipped network
puts its sharp original? The shipped network (the teacher) stays as it is and keeps every sharp
face; the student starts from its weights and sees only degraded faces (the standard degradation,
every face: 16-32 px, blur, darkening, noise, JPEG), each after the same augmentation the teacher's
sharp copy had. The loss is the KL divergence from the teacher's Gaussian posterior to the
student's (the checkpoint's means, σ and priors), plus ``--feature`` times the squared distance
between the two embeddings over 2σ² (the KL divergence of two isotropic Gaussians at those points,
so that kNN, which reads all 64 numbers, is matched too). Adam with weight decay, a cosine schedule.

After every epoch, on FER+ valid and its standard degraded copy (seed 0, as `evaluate --degrade`):
the student's accuracy on the degraded copy (kNN(11) against the checkpoint's bank, and the
posterior; ours / the paper's protocol), the gap to the teacher's clean kNN, how often the
teacher's emotion on the sharp face and the student's on its copy agree (posterior and kNN), and the
student's accuracy on the sharp faces (what a wrongly routed sharp face would get).

    python docs/runs/small_face_student/train.py [CHECKPOINT] [--epochs 8] [--lr 2e-4] [--feature 0.1]

Resumable: the state after each epoch is ~/albumsum-runs/small_face_student/last.pt; per-epoch
figures are appended to metrics.jsonl there. Embeddings of valid come from
docs/runs/paired_subclasses/probe.py's cache.
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parent / "paired_subclasses"))

from probe import Probe  # noqa: E402

from albumsum.core.checkpoint import network_from_checkpoint  # noqa: E402
from albumsum.core.gaussian import gaussian_log_posterior, log_priors_of  # noqa: E402
from albumsum.core.inference import embed_crops  # noqa: E402
from trainer.augment import Augment  # noqa: E402
from trainer.data import load_labelled  # noqa: E402
from trainer.degrade import Degrade, degrade_images  # noqa: E402
from trainer.evaluation import knn_predict  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--feature", type=float, default=0.1, help="weight of the embedding distance term")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--out", default=os.path.expanduser("~/albumsum-runs/small_face_student"))
    args = ap.parse_args()
    probe = Probe(args.checkpoint)
    data, valid = probe.data, probe.valid
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    cfg, spec = data["train_config"], data["input_spec"]
    mean, std, sigma = float(spec["mean"]), float(spec["std"]), float(data["sigma"])
    means = torch.as_tensor(data["class_means"], dtype=torch.float32)
    log_priors = log_priors_of(torch.as_tensor(data["class_priors"], dtype=torch.float32))
    teacher = network_from_checkpoint(data, args.checkpoint).to(memory_format=torch.channels_last)
    student = network_from_checkpoint(data, args.checkpoint).to(memory_format=torch.channels_last)
    for p in teacher.parameters():
        p.requires_grad_(False)
    augment = Augment(
        cfg["flip"], cfg["max_rotate"], cfg["max_scale"], cfg["max_shift"], cfg["brightness"], cfg["contrast"],
        cfg["erase_prob"],
    )  # fmt: skip
    degrade = Degrade(prob=1.0)
    train = load_labelled(cfg["train_data"])
    images = torch.from_numpy(train.images)
    steps_per_epoch = math.ceil(len(images) / args.batch)
    optimizer = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=float(cfg.get("weight_decay", 0.05)))
    generator = torch.Generator().manual_seed(0)
    epoch = 0
    if (out / "last.pt").exists():
        state = torch.load(out / "last.pt", weights_only=False)
        student.load_state_dict(state["student"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        epoch = state["epoch"]
        print(f"resumed at epoch {epoch}", flush=True)
    degraded_valid = degrade_images(valid.images, 0)
    y, paper = valid.labels, valid.paper_protocol()
    bank, bank_labels = probe.bank, probe.bank_labels
    teacher_post = gaussian_log_posterior(torch.from_numpy(probe.v), means, sigma, log_priors).argmax(1).numpy()
    teacher_knn = knn_predict(probe.v, bank, bank_labels)
    clean_knn = 100 * (teacher_knn == y).mean()

    def figures() -> dict[str, float]:
        student.eval()
        found = {}
        for name, crops in (("degraded", degraded_valid), ("sharp", valid.images)):
            z = embed_crops(student, crops, size=48, mean=mean, std=std)
            post = gaussian_log_posterior(torch.from_numpy(z), means, sigma, log_priors).argmax(1).numpy()
            knn = knn_predict(z, bank, bank_labels)
            for kind, guess in (("knn", knn), ("post", post)):
                found[f"{name}_{kind}"] = 100 * (guess == y).mean()
                found[f"{name}_{kind}_paper"] = 100 * (guess == y)[paper].mean()
            if name == "degraded":
                found["gap"] = clean_knn - found["degraded_knn"]
                found["same_emotion"] = 100 * (post == teacher_post).mean()
                found["same_knn"] = 100 * (knn == teacher_knn).mean()
        student.train()
        return {k: round(float(v), 2) for k, v in found.items()}

    if epoch == 0:
        first = {"epoch": 0, **figures()}
        print(json.dumps(first), flush=True)
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(first) + "\n")
    teacher.eval()
    student.train()
    total = args.epochs * steps_per_epoch
    while epoch < args.epochs:
        start, sums = time.perf_counter(), np.zeros(2)
        order = torch.randperm(len(images), generator=generator)
        for step in range(steps_per_epoch):
            done = epoch * steps_per_epoch + step
            for group in optimizer.param_groups:
                group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * done / total))
            x = images[order[step * args.batch : (step + 1) * args.batch]].unsqueeze(1).float().div_(255.0)
            x = augment(x.sub(mean).div_(std), generator)
            pixels = x.mul(std).add_(mean).clamp_(0.0, 1.0)
            small = degrade.apply(pixels, generator).sub_(mean).div_(std)
            with torch.no_grad():
                target = teacher(x.contiguous(memory_format=torch.channels_last)).float()
            z = student(small.contiguous(memory_format=torch.channels_last)).float()
            p_t = gaussian_log_posterior(target, means, sigma, log_priors)
            p_s = gaussian_log_posterior(z, means, sigma, log_priors)
            kl = (p_t.exp() * (p_t - p_s)).sum(1).mean()
            dist = (z - target).pow(2).sum(1).mean() / (2 * sigma * sigma)
            loss = kl + args.feature * dist
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums += [float(kl.detach()), float(dist.detach())]
        epoch += 1
        row = {
            "epoch": epoch,
            "kl": round(sums[0] / steps_per_epoch, 4),
            "dist": round(sums[1] / steps_per_epoch, 3),
            "epoch_s": round(time.perf_counter() - start, 1),
            **figures(),
        }
        print(json.dumps(row), flush=True)
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        state = {
            "student": student.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(),
            "epoch": epoch,
        }
        torch.save(state, out / "last.tmp")
        os.replace(out / "last.tmp", out / "last.pt")
    print(f"teacher: clean kNN {clean_knn:.2f} (ours)")


if __name__ == "__main__":
    main()
