from __future__ import annotations

import json

import pytest

from trainer.config import ConfigError, TrainConfig, apply_overrides, build_config, parse_cli_overrides


def test_defaults_follow_the_paper_where_it_speaks() -> None:
    c = TrainConfig()
    assert (c.sigma, c.embedding_dim, c.n_per_class) == (0.5, 64, 32)


def test_cli_overrides_are_typed() -> None:
    c = build_config(None, ["--lr=3e-4", "--epochs=7", "--flip=false", "--arch=small", "--n-per-class=4"])
    assert c.lr == 3e-4 and c.epochs == 7 and c.flip is False and c.arch == "small" and c.n_per_class == 4


def test_file_then_cli(tmp_path) -> None:
    (tmp_path / "a.toml").write_text('epochs = 3\nsigma = 0.25\narch = "small"\n')
    (tmp_path / "b.json").write_text(json.dumps({"epochs": 4}))
    c = build_config(str(tmp_path / "a.toml"), ["--epochs=9"])
    assert (c.epochs, c.sigma, c.arch) == (9, 0.25, "small")
    assert build_config(str(tmp_path / "b.json"), []).epochs == 4


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"learning_rate": 1}, "unknown config key"),
        ({"epochs": "many"}, "epochs: expected int"),
        ({"flip": "maybe"}, "flip: expected true/false"),
        ({"lr": True}, "lr: expected float"),
    ],
)
def test_bad_overrides_are_rejected(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_overrides(TrainConfig(), overrides)


def test_malformed_cli_argument() -> None:
    with pytest.raises(ConfigError, match="--key=value"):
        parse_cli_overrides(["--epochs", "3"])
