"""The report command end to end on a tiny model of planted synthetic faces."""

from __future__ import annotations

import json

import pytest
import torch

from tests.trainer.synthetic import write_planted_npz
from trainer.cli import main as train_main
from trainer.report import markdown_table, medoid_ranking


@pytest.mark.slow
def test_report_writes_table_json_and_every_figure(tmp_path) -> None:
    torch.set_num_threads(2)
    data = tmp_path / "planted.npz"
    write_planted_npz(data, per_group=40, votes=True)
    assert (
        train_main(
            [
                "fit",
                "--arch=small",
                "--n_per_class=8",
                "--batches_per_epoch=6",
                "--epochs=3",
                "--amp=off",
                "--progress=false",
                "--valid_data=",
                f"--train_data={data}",
                "--subclasses=2",
                "--min_subclass_size=20",
                f"--out_dir={tmp_path / 'run'}",
            ]
        )
        == 0
    )
    model = str(tmp_path / "run" / "model.pt")
    out = tmp_path / "report"
    assert (
        train_main(
            [
                "report",
                "--checkpoint",
                model,
                model,
                "--label",
                "A",
                "B",
                "--data",
                str(data),
                "--out",
                str(out),
                "--emotion",
                "happiness",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    for name in (
        "table.md",
        "report.json",
        "retrieval.png",
        "knn_f1.png",
        "tsne_emotion.png",
        "tsne_subclass_happiness.png",
        "medoids_happiness.png",
    ):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    table = (out / "table.md").read_text()
    assert "| A | ours, our protocol |" in table and "| SGMLoss | paper (FER+ test) |" in table
    report = json.loads((out / "report.json").read_text())
    assert set(report["metrics"]) == {"A", "B"}
    assert "happiness" in report["structure"]
    for row in report["structure"].values():  # the planted second choices follow the sub-classes
        assert row["faces"] == 80 and {"gmm_loglik", "single_loglik"} <= set(row)
        assert row["mi_bits"] > row["mi_random_p95"]


def test_medoid_ranking_starts_at_the_medoid() -> None:
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.2, 0.0], [5.0, 5.0]]).numpy()
    members = torch.tensor([0, 1, 2]).numpy()
    # centroid (0.4, 0): nearest member is row 2 (the medoid), then row 0, then row 1
    assert medoid_ranking(z, members, top=3).tolist() == [2, 0, 1]


def test_markdown_table_has_paper_rows() -> None:
    assert markdown_table([], paper=True).count("paper (FER+ test)") == 3
