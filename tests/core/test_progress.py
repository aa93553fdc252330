"""Shared helpers of the core: the one progress line (rate, time left, the bar) and atomic writes."""

from __future__ import annotations

import io

from albumsum.core.progress import Progress, clock, rate_and_eta


def test_rate_and_eta_and_clock() -> None:
    assert rate_and_eta(10, 40, 5.0) == (2.0, 15.0)
    assert rate_and_eta(0, 40, 0.0) == (0.0, 0.0)
    assert rate_and_eta(50, 40, 5.0)[1] == 0.0  # past the end: nothing left
    assert clock(0) == "0:00" and clock(61.9) == "1:01" and clock(3725) == "62:05"


def test_the_bar_shows_position_rate_values_and_eta() -> None:
    out = io.StringIO()
    bar = Progress(0, "indexing", stream=out, unit="photos")
    bar.show(5, 20, elapsed=10.0, faces=7, loss=0.25)
    line = out.getvalue()
    assert line.startswith("\rindexing [#####---------------] 5/20 photos 0.5/s faces 7 loss 0.25  ETA 0:30")
    bar.update(15)  # the end is always drawn
    assert "20/20" in out.getvalue().rsplit("\r", 1)[1]
    bar.close()
    assert out.getvalue().endswith("\n")
    quiet = io.StringIO()
    Progress(3, "x", enabled=False, stream=quiet).update(3)
    assert quiet.getvalue() == ""


def test_an_atomic_write_that_fails_leaves_the_old_file(tmp_path) -> None:
    import pytest

    from albumsum.core.files import atomic_write, atomic_write_text

    path = atomic_write_text(tmp_path / "sub" / "s.json", "old")

    def half(tmp) -> None:
        tmp.write_text("ne")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(path, half)
    assert path.read_text() == "old" and sorted(p.name for p in path.parent.iterdir()) == ["s.json"]
