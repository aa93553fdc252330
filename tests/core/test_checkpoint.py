from __future__ import annotations

import pytest
import torch

from albumsum.core.checkpoint import (
    DEFAULT_INPUT_SPEC,
    FORMAT_VERSION,
    CheckpointError,
    network_from_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from albumsum.core.networks import ARCHITECTURES, build_network


def payload(arch: str = "small", **extra) -> dict:
    torch.manual_seed(0)
    args = {"arch": arch, "embedding_dim": 64}
    net = build_network(**args)
    return {
        "model_args": args,
        "state_dict": net.state_dict(),
        "class_names": ["neutral", "happiness"],
        "sigma": 0.5,
        "class_means": torch.randn(2, 64),
        "class_priors": torch.tensor([0.6, 0.4]),
        "input_spec": dict(DEFAULT_INPUT_SPEC),
        **extra,
    }


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_backbone_gives_64d_embeddings(arch: str) -> None:
    net = build_network(arch).eval()
    assert net(torch.randn(3, 1, 48, 48)).shape == (3, 64)


def test_round_trip_rebuilds_the_same_network(tmp_path) -> None:
    data = payload()
    path = save_checkpoint(data, tmp_path / "m.pt")
    loaded = read_checkpoint(path)
    assert loaded["format_version"] == FORMAT_VERSION and loaded["created"]
    net = network_from_checkpoint(loaded, path)
    reference = build_network(**data["model_args"])
    reference.load_state_dict(data["state_dict"])
    x = torch.randn(4, 1, 48, 48)
    torch.testing.assert_close(net(x), reference.eval()(x))
    assert torch.equal(loaded["class_means"], data["class_means"])


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path) -> None:
    save_checkpoint(payload(), tmp_path / "m.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_missing_file_names_the_file(tmp_path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt: no such file"):
        read_checkpoint(tmp_path / "nope.pt")


def test_truncated_file(tmp_path) -> None:
    path = save_checkpoint(payload(), tmp_path / "m.pt")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match=r"m\.pt: not a readable checkpoint"):
        read_checkpoint(path)


def test_foreign_torch_file(tmp_path) -> None:
    path = tmp_path / "weights.pt"
    torch.save({"model": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match=r"weights\.pt: not an albumsum model"):
        read_checkpoint(path)


def test_text_file(tmp_path) -> None:
    path = tmp_path / "notes.pt"
    path.write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes\.pt: not a readable checkpoint"):
        read_checkpoint(path)


def test_newer_format(tmp_path) -> None:
    path = save_checkpoint(payload(format_version=FORMAT_VERSION + 1), tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="newer than this albumsum reads"):
        read_checkpoint(path)


def test_missing_keys(tmp_path) -> None:
    data = payload()
    path = save_checkpoint(data, tmp_path / "m.pt")
    raw = torch.load(path, weights_only=True)
    del raw["sigma"]
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match="missing keys: sigma"):
        read_checkpoint(path)


def test_weights_that_do_not_fit_model_args(tmp_path) -> None:
    data = payload()
    data["model_args"] = {"arch": "cvgg13", "embedding_dim": 64}
    path = save_checkpoint(data, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="weights do not fit model_args"):
        network_from_checkpoint(read_checkpoint(path), path)


def test_unknown_architecture() -> None:
    with pytest.raises(ValueError, match="unknown architecture 'vit'"):
        build_network("vit")


def test_narrow_resnet_keeps_24px_stages_and_is_a_quarter_of_resnet18() -> None:
    net = build_network("narrow_resnet", width=32).eval()
    first = net.body.stem(torch.randn(2, 1, 48, 48))
    assert first.shape == (2, 32, 24, 24)
    assert net.body.stages[0](first).shape[-2:] == (24, 24)
    params = sum(p.numel() for p in net.parameters())
    stock = sum(p.numel() for p in build_network("resnet18").parameters())
    assert 2.5e6 < params < 3.0e6 and params < stock / 3
