"""A short real training on a few hundred FER+ faces, resuming, and the CLI around it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import model_subclasses
from albumsum.core.inference import Embedder
from trainer.calibrate import fit_posterior_sigma
from trainer.cli import main as train_main
from trainer.config import ConfigError, TrainConfig
from trainer.data import load_labelled, paper_protocol
from trainer.emotion_span import refit_checkpoint
from trainer.evaluation import knn_predict
from trainer.fit import Trainer, initial_network
from trainer.state import lr_factor

QUICK = dict(
    arch="small",
    n_per_class=16,
    batches_per_epoch=12,
    epochs=4,
    lr=3e-3,
    progress=False,
    eval_every=0,
    amp="off",
    threads=2,
)


@pytest.fixture(scope="module")
def small_sets(ferplus_dir):
    train = load_labelled(ferplus_dir / "train.npz", limit_per_class=120)
    valid = load_labelled(ferplus_dir / "valid.npz")
    valid = valid.subset(np.arange(0, len(valid), 4))
    return train, valid


@pytest.fixture(scope="module")
def trained(small_sets, tmp_path_factory):
    torch.set_num_threads(2)
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(out_dir=str(out), **QUICK)
    trainer = Trainer(config, *small_sets)
    trainer.fit()
    return trainer, trainer.finish()


@pytest.mark.slow
def test_short_training_beats_chance_on_valid(trained, small_sets) -> None:
    _, path = trained
    _, valid = small_sets
    metrics = read_checkpoint(path)["metrics"]
    acc = metrics["valid_knn_accuracy"]
    # Chance for this reference: the same kNN with the reference labels shuffled.
    embedder = Embedder.from_file(path, device="cpu")
    ref = embedder.checkpoint["reference"]
    shuffled = np.random.default_rng(0).permutation(ref["labels"].numpy())
    pred = knn_predict(embedder.embed(valid.images), ref["embeddings"].float().numpy(), shuffled)
    chance = 100 * float(np.mean(pred == valid.labels))
    assert acc > chance + 10, (acc, chance)
    assert acc > 100 / 8 + 10


@pytest.mark.slow
def test_run_directory_and_checkpoint_contents(trained) -> None:
    trainer, path = trained
    run_dir = path.parent
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2, 3, 4]
    assert all(np.isfinite(x["loss"]) and x["images_per_s"] > 0 for x in lines)
    assert json.loads((run_dir / "config.json").read_text())["arch"] == "small"
    data = read_checkpoint(path)
    assert data["class_means"].shape == (8, 64) and abs(float(data["class_priors"].sum()) - 1) < 1e-5
    assert data["reference"]["embeddings"].shape[0] == len(trainer.train)
    assert data["train_config"]["epochs"] == 4
    # the posterior's sigma is fitted on the training embeddings; the loss's stays in the config
    bank = data["reference"]
    fitted = fit_posterior_sigma(
        bank["embeddings"].float().numpy(), bank["labels"].numpy(), data["class_means"], data["class_priors"]
    )
    assert data["sigma"] == pytest.approx(fitted, rel=1e-2) and data["train_config"]["sigma"] == 0.5


@pytest.mark.slow
def test_resume_after_interruption_matches_an_uninterrupted_run(small_sets, tmp_path) -> None:
    """Seeds make a CPU run repeatable, and a run stopped after epoch 1 resumes to the same weights."""
    train, _ = small_sets
    cfg = dict(QUICK, epochs=2, batches_per_epoch=3, seed=5)
    whole = Trainer(TrainConfig(out_dir=str(tmp_path / "a"), **cfg), train)
    whole.fit()
    first = Trainer(TrainConfig(out_dir=str(tmp_path / "b"), **dict(cfg, epochs=1)), train)
    first.fit()  # "interrupted" after epoch 1: last.pt holds the state
    resumed = Trainer(TrainConfig(out_dir=str(tmp_path / "b"), **cfg), train)
    resumed.fit()
    for (k, a), b in zip(whole.run.net.state_dict().items(), resumed.run.net.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=k)


@pytest.mark.slow
def test_init_from_starts_at_a_checkpoint_s_weights(trained, small_sets, tmp_path) -> None:
    """A fine-tuning run starts from the given model's network, not from random weights."""
    _, path = trained
    train, _ = small_sets
    config = TrainConfig(out_dir=str(tmp_path / "ft"), init_from=str(path), **dict(QUICK, epochs=0))
    start = Trainer(config, train, net=initial_network(config))
    stored = read_checkpoint(path)["state_dict"]
    for key, value in start.run.net.state_dict().items():
        assert value.dtype == (torch.float32 if value.is_floating_point() else value.dtype), key
        torch.testing.assert_close(value, stored[key].to(value.dtype), msg=key)
    fresh = Trainer(TrainConfig(out_dir=str(tmp_path / "fresh"), **QUICK), train)
    assert not torch.equal(fresh.run.net.head.weight, start.run.net.head.weight)


@pytest.mark.slow
def test_whitening_a_trained_model_folds_the_map_into_the_network(trained, small_sets, tmp_path) -> None:
    """``--epochs=0 --whiten`` on a trained model (how the shipped model was whitened): the stored
    training embeddings have an isotropic within-class covariance, and the stored network itself
    gives those embeddings (the map is in its head, not only in the bank)."""
    _, path = trained
    train, valid = small_sets
    config = TrainConfig(
        out_dir=str(tmp_path / "white"), init_from=str(path), whiten=True, whiten_shrink=0.0, **dict(QUICK, epochs=0)
    )
    trainer = Trainer(config, train, valid, net=initial_network(config))
    trainer.fit()
    data = read_checkpoint(trainer.finish())
    bank = data["reference"]["embeddings"].float().numpy()
    labels = data["reference"]["labels"].numpy()
    resid = np.concatenate([bank[labels == c] - bank[labels == c].mean(0) for c in np.unique(labels)])
    cov = resid.T @ resid / len(resid)
    level = np.trace(cov) / len(cov)
    off = cov - level * np.eye(len(cov))
    assert np.abs(off).max() < 0.02 * level, np.abs(off).max() / level
    before = read_checkpoint(path)["reference"]["embeddings"].float().numpy()
    raw = np.linalg.eigvalsh(
        np.cov(np.concatenate([before[labels == c] - before[labels == c].mean(0) for c in np.unique(labels)]).T)
    )
    assert raw.max() / raw.min() > 10  # there was something to whiten
    again = Embedder(data, device="cpu", bf16=False).embed(train.images[:64])
    np.testing.assert_allclose(again, bank[:64], atol=0.05 * np.sqrt(level))
    assert data["train_config"]["whiten"] is True and data["metrics"]["valid_knn_accuracy"] > 100 / 8 + 10


def test_init_from_refuses_a_checkpoint_of_another_network(trained, tmp_path) -> None:
    _, path = trained
    with pytest.raises(ConfigError, match=r"init_from .*model\.pt.*'arch': 'small'.*'arch': 'resnet18'"):
        initial_network(TrainConfig(init_from=str(path), arch="resnet18"))
    assert initial_network(TrainConfig()) is None


def test_schedule_warms_up_then_decays() -> None:
    cfg = TrainConfig(warmup_epochs=1)
    factors = [lr_factor(cfg, s, 100, 10) for s in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert factors[10] > factors[50] > factors[99] >= 0


def run_cli(command: str, checkpoint, data, *extra: str) -> int:
    """``albumsum-train COMMAND --checkpoint C --data D --device cpu EXTRA...`` -> exit code."""
    return train_main([command, "--checkpoint", str(checkpoint), "--data", str(data), "--device", "cpu", *extra])


@pytest.mark.parametrize(
    "flag, expected", [([], False), (["--bf16"], True), (["--bf16", "on"], True), (["--bf16", "auto"], None)]
)
def test_cli_evaluate_bf16_on_off_or_as_the_app_would(monkeypatch, tmp_path, flag, expected) -> None:
    """``--bf16 auto`` leaves the choice to the Embedder (None), which picks bfloat16 only where it is fast."""
    import trainer.evaluate

    seen = []
    monkeypatch.setattr(trainer.evaluate, "evaluate_checkpoint", lambda *a: seen.append(a[5]) or {"count": 1.0})
    monkeypatch.setattr(trainer.evaluate, "format_table", lambda metrics: "")
    assert run_cli("evaluate", tmp_path / "m.pt", tmp_path / "d.npz", *flag) == 0
    assert seen == [expected]


@pytest.mark.slow
def test_cli_evaluate_and_embed(trained, ferplus_dir, tmp_path, capsys) -> None:
    _, path = trained
    valid = load_labelled(ferplus_dir / "valid.npz")
    small = tmp_path / "valid_small.npz"
    np.savez(small, images=valid.images[:200], labels=np.array(["neutral", "happiness"])[valid.labels[:200] % 2])
    assert run_cli("evaluate", path, small, "--out", str(tmp_path / "m.json")) == 0
    table = capsys.readouterr().out
    assert "knn" in table and "recall@K" in table and "NMI" in table
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["count"] == 200 and 0 <= metrics["knn_accuracy"] <= 100
    assert run_cli("embed", path, small, "--out", str(tmp_path / "e.npz")) == 0
    with np.load(tmp_path / "e.npz") as z:
        assert z["embeddings"].shape == (200, 64) and z["embeddings"].dtype == np.float32
        assert z["proba"].shape == (200, 8) and z["labels"].shape == (200,)
    # --detect on 48x48 noise frames: no face anywhere is a clear error, not a crash
    noise = tmp_path / "noise.npz"
    np.savez(
        noise,
        images=np.random.default_rng(0).integers(0, 255, (3, 48, 48), dtype=np.uint8),
        labels=np.array(["neutral"] * 3),
    )
    assert run_cli("evaluate", path, noise, "--detect") == 2
    assert run_cli("evaluate", tmp_path / "none.pt", small) == 2


@pytest.mark.slow
def test_evaluate_detect_runs_the_app_face_pipeline_on_frames(trained, ferplus_dir, tmp_path) -> None:
    """FER+ faces given as frames: MTCNN finds most of them and the metrics count only those."""
    _, path = trained
    valid = load_labelled(ferplus_dir / "valid.npz")
    frames = tmp_path / "frames.npz"
    np.savez(frames, images=valid.images[:30], votes=np.eye(10, dtype=np.uint8)[valid.labels[:30]] * 10)
    assert run_cli("evaluate", path, frames, "--detect", "--out", str(tmp_path / "m.json")) == 0
    count = json.loads((tmp_path / "m.json").read_text())["count"]
    assert 15 <= count <= 30


@pytest.mark.slow
def test_cli_evaluate_gives_both_protocols_and_the_degraded_copy(trained, ferplus_dir, tmp_path, capsys) -> None:
    _, path = trained
    with np.load(ferplus_dir / "valid.npz") as z:
        images, votes = z["images"][:300], z["votes"][:300]
    small = tmp_path / "valid_votes.npz"
    np.savez(small, images=images, votes=votes)
    assert run_cli("evaluate", path, small, "--degrade", "--out", str(tmp_path / "m.json")) == 0
    table = capsys.readouterr().out
    assert "knn paper's" in table and "knn ours, degraded" in table and "same on the degraded copy" in table
    metrics = json.loads((tmp_path / "m.json").read_text())
    expected = int(paper_protocol(votes).sum())
    assert metrics["paper_count"] == expected < metrics["count"]
    for key in ("paper_knn_accuracy", "degraded_knn_accuracy", "degraded_paper_posterior_accuracy"):
        assert 0 <= metrics[key] <= 100, key
    assert 0 < metrics["survive_emotion"] <= 100 and 0 <= metrics["survive_subclass"] <= 100
    # embed gives each face the app's emotion and the sub-class of its mixtures
    assert run_cli("embed", path, small, "--out", str(tmp_path / "e.npz")) == 0
    checkpoint = read_checkpoint(path)
    with np.load(tmp_path / "e.npz") as z:
        np.testing.assert_array_equal(z["emotion"], z["proba"].argmax(1))
        expected_sub = model_subclasses(z["embeddings"], z["emotion"], checkpoint["subclasses"], EMOTIONS)
        np.testing.assert_array_equal(z["subclass"], expected_sub)


@pytest.mark.slow
def test_cli_subclasses_refits_the_mixtures_and_evaluate_links_them_to_the_votes(
    trained, ferplus_dir, tmp_path
) -> None:
    _, path = trained
    out = tmp_path / "span.pt"
    assert train_main(["subclasses", "--checkpoint", str(path), "--out", str(out), "--min-size", "20"]) == 0
    before, after = read_checkpoint(path), read_checkpoint(out)
    for key, value in before["state_dict"].items():
        torch.testing.assert_close(after["state_dict"][key], value, msg=key)
    assert after["train_config"]["subclass_space"] == "emotions"
    assert all(len(m["weights"]) == 3 for m in after["subclasses"].values())  # 120 faces each, 20 a component
    stored = after["reference"]["subclasses"].numpy()
    assert stored.max() + 1 == sum(len(m["weights"]) for m in after["subclasses"].values())
    with np.load(ferplus_dir / "valid.npz") as z:
        small = tmp_path / "v.npz"
        np.savez(small, images=z["images"][:400], votes=z["votes"][:400])
    assert run_cli("evaluate", out, small, "--out", str(tmp_path / "m.json")) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["subclass_emotions_split"] >= 4 and metrics["subclass_mi_bits"] > 0


@pytest.mark.slow
def test_a_moving_average_run_resumes_exactly_and_ships_the_average(small_sets, tmp_path) -> None:
    """With ema_decay the averaged weights are saved, resumed and evaluated, not the raw ones."""
    train, _ = small_sets
    cfg = dict(QUICK, epochs=2, batches_per_epoch=3, seed=5, ema_decay=0.9)
    whole = Trainer(TrainConfig(out_dir=str(tmp_path / "a"), **cfg), train)
    whole.fit()
    first = Trainer(TrainConfig(out_dir=str(tmp_path / "b"), **dict(cfg, epochs=1)), train)
    first.fit()
    resumed = Trainer(TrainConfig(out_dir=str(tmp_path / "b"), **cfg), train)
    resumed.fit()
    averaged, raw = whole.run.eval_net.state_dict(), whole.run.net.state_dict()
    for key, value in resumed.run.eval_net.state_dict().items():
        torch.testing.assert_close(value, averaged[key], msg=key)
    assert not torch.equal(averaged["head.weight"], raw["head.weight"])
    shipped = read_checkpoint(whole.finish())["state_dict"]
    torch.testing.assert_close(shipped["head.weight"].float(), averaged["head.weight"], atol=1e-2, rtol=1e-2)
    assert not torch.allclose(shipped["head.weight"].float(), raw["head.weight"], atol=1e-3)


def test_resuming_a_plain_run_with_a_moving_average_is_refused(small_sets, tmp_path) -> None:
    train, _ = small_sets
    cfg = dict(QUICK, epochs=1, batches_per_epoch=1)
    Trainer(TrainConfig(out_dir=str(tmp_path), **cfg), train).fit()
    with pytest.raises(ValueError, match="no moving average"):
        Trainer(TrainConfig(out_dir=str(tmp_path), **dict(cfg, epochs=2, ema_decay=0.99)), train).fit()


def test_the_consistency_term_trains_on_degraded_copies_and_is_logged(small_sets, tmp_path) -> None:
    train, _ = small_sets
    cfg = dict(QUICK, epochs=1, batches_per_epoch=2, degrade_prob=0.3, consistency=1.0, consistency_share=0.25)
    trainer = Trainer(TrainConfig(out_dir=str(tmp_path), **cfg), train)
    index = next(iter(trainer.run.sampler))
    x, _, _, rows = trainer._batch(index)
    assert len(rows) == round(0.25 * len(index)) and len(set(rows.tolist())) == len(rows)
    both = trainer._with_copies(x, rows)
    assert both.shape[0] == len(index) + len(rows)
    assert not torch.allclose(both[len(index) :], x[rows])  # the copies are degraded
    trainer.fit()
    record = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["consistency"] > 0.0


def test_the_consistency_term_waits_for_consistency_after_epochs(small_sets, tmp_path) -> None:
    train, _ = small_sets
    cfg = dict(QUICK, epochs=2, batches_per_epoch=2, degrade_prob=0.3, consistency=1.0, consistency_after=1)
    Trainer(TrainConfig(out_dir=str(tmp_path), **cfg), train).fit()
    first, second = (json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines())
    assert "consistency" not in first  # no copies were made in epoch 1
    assert second["consistency"] > 0.0


@pytest.mark.parametrize("extra", [dict(subclass_pairs=True), dict(subclass_keep=0.8)])
def test_paired_or_kept_subclasses_outside_the_steady_space_are_refused_before_training(
    small_sets, tmp_path, extra
) -> None:
    with pytest.raises(ConfigError, match="subclass_space = \"steady\", not 'emotions'"):
        Trainer(TrainConfig(out_dir=str(tmp_path), **dict(QUICK, subclass_space="emotions", **extra)), small_sets[0])


def test_consistency_share_outside_zero_to_one_is_refused(small_sets, tmp_path) -> None:
    with pytest.raises(ConfigError, match="consistency_share"):
        Trainer(
            TrainConfig(out_dir=str(tmp_path), **dict(QUICK, consistency=1.0, consistency_share=1.5)), small_sets[0]
        )


def app_subclasses_of_the_bank(data: dict) -> np.ndarray:
    """The bank's sub-class ids as the app assigns them (its covariance ridge moves a few faces at the
    boundaries), made contiguous over the emotions."""
    bank = data["reference"]
    labels = bank["labels"].numpy()
    local = model_subclasses(bank["embeddings"].float().numpy(), labels, data["subclasses"], EMOTIONS)
    offsets = np.cumsum([0] + [len(data["subclasses"][name]["weights"]) for name in EMOTIONS[:-1]])
    return local + offsets[labels]


@pytest.mark.slow
def test_steady_subclasses_from_fit_and_from_the_cli(trained, small_sets, tmp_path) -> None:
    """``subclass_space = "steady"`` in a run, and ``subclasses --space steady`` on its checkpoint,
    which degrades and embeds the training faces the checkpoint was made from."""
    train, _ = small_sets
    _, path = trained  # its config names the whole FER+ train file, but it was made from 120 faces a class
    steady = dict(subclass_space="steady", min_subclass_size=20, init_from=str(path), subclass_pairs=True)
    config = TrainConfig(out_dir=str(tmp_path / "run"), **steady, **QUICK)
    made = read_checkpoint(Trainer(config, train, net=initial_network(config)).finish())
    assert made["train_config"]["subclass_space"] == "steady" and made["train_config"]["subclass_pairs"]
    assert all(len(m["weights"]) == 3 for m in made["subclasses"].values())  # 120 faces each, 20 a component
    assert np.mean(app_subclasses_of_the_bank(made) == made["reference"]["subclasses"].numpy()) > 0.99

    with pytest.raises(ValueError, match=r"train\.npz: 28\d\d\d faces, but .*model\.pt stores embeddings of 960"):
        refit_checkpoint(path, tmp_path / "x.pt", "steady", min_size=20)
    faces = tmp_path / "train.npz"
    np.savez(faces, images=train.images, votes=train.votes)
    out = tmp_path / "steady.pt"
    # paired, and a count that must hold on 99.9 % of the check copy: no three-way split does, so two each
    args = ["--space", "steady", "--min-size", "20", "--data", str(faces), "--paired", "--keep", "0.999"]
    assert train_main(["subclasses", "--checkpoint", str(path), "--out", str(out), *args]) == 0
    after = read_checkpoint(out)
    assert after["train_config"]["subclass_space"] == "steady"
    assert (after["train_config"]["subclass_pairs"], after["train_config"]["subclass_keep"]) == (True, 0.999)
    assert all(len(m["weights"]) == 2 for m in after["subclasses"].values())
    assert np.mean(app_subclasses_of_the_bank(after) == after["reference"]["subclasses"].numpy()) > 0.99
