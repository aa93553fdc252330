"""Training and inference throughput (images/s) per backbone, on this machine's CPU or GPU.

    python bench/train_throughput.py [--device auto|cpu|cuda] [--batch 256] [--steps 6]

Each row times full SGM training steps (forward, loss, backward, AdamW) on 1x48x48 inputs with
the trainer's own augmentation, and inference as the app embeds (batch norms folded, flip
averaging); fp32 against bfloat16 autocast (the trainer's default where the hardware supports it).
Prints one table; the speed-up column is bf16 over fp32 measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import torch

from albumsum.core.inference import inference_network, pick_device
from albumsum.core.networks import build_network
from trainer.augment import Augment
from trainer.losses import SGMLoss

BACKBONES = [
    ("resnet18 (stock stem)", {"arch": "resnet18", "stem": "stock"}),
    ("resnet18 (deep stem)", {"arch": "resnet18", "stem": "deep"}),
    ("resnet18 (fine stem)", {"arch": "resnet18", "stem": "fine"}),
    ("narrow_resnet w32 (stages at 24 px)", {"arch": "narrow_resnet", "width": 32}),
    ("narrow_resnet w36", {"arch": "narrow_resnet", "width": 36}),
    ("narrow_resnet w40", {"arch": "narrow_resnet", "width": 40}),
    ("narrow_resnet w48", {"arch": "narrow_resnet", "width": 48}),
    ("small", {"arch": "small"}),
    ("cvgg13", {"arch": "cvgg13"}),
    ("preact_resnet18", {"arch": "preact_resnet18"}),
]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _rate(step, device: torch.device, batch: int, steps: int) -> float:
    """Images/s of ``step`` (one batch) over ``steps`` calls after one warm-up call."""
    step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return batch * steps / (time.perf_counter() - start)


def train_rate(args: dict, device: torch.device, batch: int, steps: int, amp: bool) -> float:
    torch.manual_seed(0)
    net = build_network(**args).to(device).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    loss_fn, augment, gen = SGMLoss(), Augment(), torch.Generator().manual_seed(0)
    x0 = torch.randn(batch, 1, 48, 48, device=device)
    labels = torch.arange(batch, device=device) % 8
    targets = torch.nn.functional.one_hot(labels, 8).float()

    def step() -> None:
        x = augment(x0, gen).contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            z = net(x)
        loss = loss_fn(z.float(), labels, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return _rate(step, device, batch, steps)


@torch.inference_mode()
def infer_rate(args: dict, device: torch.device, batch: int, steps: int, amp: bool) -> float:
    net = inference_network(build_network(**args).to(device).eval()).to(memory_format=torch.channels_last)
    x = torch.randn(batch, 1, 48, 48, device=device).contiguous(memory_format=torch.channels_last)

    def step() -> None:  # as the Embedder: one pass over the faces and their mirror images
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            net(torch.cat([x, torch.flip(x, dims=[3])]))

    return _rate(step, device, batch, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--only", default="", help="comma-separated row names to keep (substring match)")
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; batch {args.batch}; {args.steps} timed steps after one warm-up")
    print(f"{'backbone':<24}{'train fp32':>12}{'train bf16':>12}{'speed-up':>10}{'infer fp32':>12}{'infer bf16':>12}")
    for label, model_args in BACKBONES:
        if args.only and not any(part in label for part in args.only.split(",")):
            continue
        t32 = train_rate(model_args, device, args.batch, args.steps, amp=False)
        t16 = train_rate(model_args, device, args.batch, args.steps, amp=True)
        i32 = infer_rate(model_args, device, args.batch, args.steps, amp=False)
        i16 = infer_rate(model_args, device, args.batch, args.steps, amp=True)
        print(f"{label:<24}{t32:12.0f}{t16:12.0f}{t16 / t32:9.2f}x{i32:12.0f}{i16:12.0f}", flush=True)
    print("images/s; inference counts a face once though the network sees it twice (flip averaging, one pass).")


if __name__ == "__main__":
    main()
