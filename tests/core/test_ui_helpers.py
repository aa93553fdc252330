"""Qt-free helpers of the window: projections, the thumbnail cache and loader, the settings schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from albumsum.core.faces import THUMB_SIZE
from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from albumsum.core.projection import normalise, pca_2d, project, tsne_2d
from albumsum.core.settings import Settings, check
from albumsum.core.thumbs import LRUCache, load_thumbnails
from tests.core.helpers import FakeDetector, make_embedder, sql, write_photo


def test_pca_matches_a_naive_covariance_eigendecomposition() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 6)) * np.array([5, 2, 1, 0.5, 0.2, 0.1])
    got = pca_2d(x)
    c = x - x.mean(axis=0)
    _, vecs = np.linalg.eigh(np.cov(c.T))
    ref = c @ vecs[:, ::-1][:, :2]
    for k in range(2):
        assert abs(abs(np.corrcoef(got[:, k], ref[:, k])[0, 1]) - 1) < 1e-6
    assert pca_2d(x[:1]).shape == (1, 2)


def test_tsne_separates_two_blobs_and_normalise_fits_the_unit_square() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal((20, 8)), rng.standard_normal((20, 8)) + 10])
    y = tsne_2d(x)
    assert np.linalg.norm(y[:20].mean(0) - y[20:].mean(0)) > 3 * y[:20].std()
    n = normalise(y)
    assert n.min() >= 0 and n.max() <= 1 + 1e-6
    with pytest.raises(ValueError):
        project(x, "umap")


def test_lru_forgets_the_least_recently_used() -> None:
    cache = LRUCache(2)
    cache.put(1, "a")
    cache.put(2, "b")
    assert cache.get(1) == "a"
    cache.put(3, "c")
    assert 2 not in cache and cache.get(1) == "a" and cache.get(3) == "c" and len(cache) == 2


def test_thumbnails_load_from_a_tmp_index(tmp_path: Path) -> None:
    for i in range(3):
        write_photo(tmp_path / "album" / f"p{i}.jpg", seed=i)
    with IndexWriter(tmp_path / "i.sqlite") as store:
        run_to_end(index_album(tmp_path / "album", store, FakeDetector(), make_embedder(), IndexSettings(min_face=5)))
        ids = [r[0] for r in sql(store, "SELECT id FROM faces")]
    thumbs = load_thumbnails(tmp_path / "i.sqlite", [*ids, 999])
    assert sorted(thumbs) == sorted(ids)
    assert all(t.dtype == np.uint8 and t.shape == (THUMB_SIZE, THUMB_SIZE, 3) for t in thumbs.values())


def test_settings_schema_checks_ranges_and_choices() -> None:
    assert check("min_score", 0.8) == 0.8
    for name, bad in (("min_score", 2.0), ("device", "tpu"), ("summary_size", 1.5), ("recent_albums", "x")):
        with pytest.raises(ValueError):
            check(name, bad)
    assert Settings().index_path("/photos/x").name.startswith("x-")
