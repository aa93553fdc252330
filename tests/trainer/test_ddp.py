"""DDP smoke test: ``torchrun --nproc_per_node 2`` on the gloo backend with two CPU processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from albumsum.core.checkpoint import read_checkpoint
from tests.trainer.synthetic import write_planted_npz


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path) -> None:
    write_planted_npz(tmp_path / "planted.npz", per_group=20)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={free_port()}",
        "-m",
        "trainer",
        "fit",
        "--arch=small",
        "--n_per_class=8",
        "--batches_per_epoch=3",
        "--epochs=2",
        "--device=cpu",
        "--amp=off",
        "--threads=1",
        "--progress=false",
        "--valid_data=",
        f"--train_data={tmp_path / 'planted.npz'}",
        f"--out_dir={tmp_path / 'run'}",
        "--subclasses=1",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=os.getcwd())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 process(es)" in result.stderr
    data = read_checkpoint(tmp_path / "run" / "model.pt")
    assert data["class_means"].shape == (8, 64)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # written by rank 0 only
    assert np.isfinite(data["class_means"].numpy()).all()
