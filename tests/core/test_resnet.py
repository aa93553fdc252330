"""Our ResNet trunk is torchvision's, module for module: checkpoints load unchanged and give the same outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from albumsum.core.checkpoint import network_from_checkpoint, read_checkpoint
from albumsum.core.inference import embed_crops
from albumsum.core.networks import EmbeddingNet, build_network
from albumsum.core.resources import default_model_path

STEMS = ("stock", "deep")


def torchvision_body(stem: str) -> nn.Module:
    """The ResNet18 body as it was built on torchvision's classes before the app dropped torchvision."""
    resnet = pytest.importorskip("torchvision.models.resnet")
    body = resnet.ResNet(resnet.BasicBlock, [2, 2, 2, 2])
    body.conv1 = _same_stem(stem)
    body.fc = nn.Identity()
    return body


def torchvision_resnet18(stem: str, embedding_dim: int = 64) -> EmbeddingNet:
    return EmbeddingNet(torchvision_body(stem), 512, embedding_dim)


def _same_stem(stem: str) -> nn.Module:
    if stem == "stock":
        return nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, stride=1, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1, bias=False),
    )


def _randomise_batch_norm(net: nn.Module) -> None:
    """Non-trivial running statistics, so eval-mode outputs depend on every buffer."""
    gen = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


@pytest.mark.parametrize("stem", STEMS)
def test_state_dict_keys_and_shapes_match_torchvision(stem: str) -> None:
    ours = build_network("resnet18", stem=stem).state_dict()
    theirs = torchvision_resnet18(stem).state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)


@pytest.mark.parametrize("stem", STEMS)
def test_same_weights_give_the_same_outputs(stem: str) -> None:
    ours = build_network("resnet18", stem=stem)
    _randomise_batch_norm(ours)
    theirs = torchvision_resnet18(stem)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(5, 1, 48, 48)
    for mode in ("eval", "train"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)


@pytest.mark.parametrize("stem", STEMS)
def test_seeded_initialisation_matches_torchvision(stem: str) -> None:
    torch.manual_seed(3)
    ours = build_network("resnet18", stem=stem).state_dict()
    torch.manual_seed(3)
    theirs = torchvision_resnet18(stem).state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert torch.equal(ours[key], theirs[key]), key


def _ramps() -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:48]
    return np.stack([(xx * 5 + yy * 3 + 40 * k) % 256 for k in range(3)]).astype(np.uint8)


# embeddings of _ramps() by the shipped default model (the narrow network, recorded when the file
# was shipped): a regression guard for the shipped file and the code that runs it. Our ResNet18 is
# compared with torchvision's live by the tests above.
DEFAULT_MODEL_FIRST_DIMS = [
    [-0.093893, 0.056970, -0.035107, 0.032947, -0.002240, 0.054564],
    [-0.046874, -0.026888, -0.018650, 0.040306, -0.057343, 0.073167],
    [-0.131843, -0.009505, -0.000265, -0.016886, -0.014054, 0.080812],
]
DEFAULT_MODEL_NORMS = [0.54171, 0.538679, 0.588251]


def test_default_model_gives_the_embeddings_it_gave_when_shipped() -> None:
    data = read_checkpoint(default_model_path())
    assert data["model_args"] == {"arch": "narrow_resnet", "embedding_dim": 64, "width": 32}
    net = network_from_checkpoint(data, default_model_path())
    spec = data["input_spec"]
    z = embed_crops(net, _ramps(), size=48, mean=spec["mean"], std=spec["std"], flip_tta=True)
    np.testing.assert_allclose(z[:, :6], DEFAULT_MODEL_FIRST_DIMS, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), DEFAULT_MODEL_NORMS, atol=2e-5)


def test_fine_stem_runs_the_residual_stages_at_twice_the_resolution() -> None:
    """stock and deep stems hand layer1 a 12x12 grid of a 48x48 face, the fine stem 24x24."""
    grids = {}
    for stem in ("stock", "deep", "fine"):
        body = build_network("resnet18", stem=stem).body.eval()
        x = body.maxpool(body.relu(body.bn1(body.conv1(torch.zeros(1, 1, 48, 48)))))
        grids[stem] = tuple(body.layer4(body.layer3(body.layer2(body.layer1(x)))).shape[-2:])
        grids[stem + " layer1"] = tuple(x.shape[-2:])
    assert grids == {
        "stock layer1": (12, 12),
        "stock": (2, 2),
        "deep layer1": (12, 12),
        "deep": (2, 2),
        "fine layer1": (24, 24),
        "fine": (3, 3),
    }
    assert list(build_network("resnet18", stem="fine").state_dict()) == list(
        build_network("resnet18", stem="deep").state_dict()
    )
