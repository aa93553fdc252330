"""Settings round-trip in a tmp config folder; the worker delivers results and errors on the GUI thread."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from albumsum.core.settings import Settings, load_settings, settings_path
from albumsum.ui.dialogs import SettingsDialog
from albumsum.ui.window import MainWindow
from albumsum.ui.workers import ImmediatePool, Runner
from tests.ui.conftest import make_context


def test_settings_round_trip_in_the_tmp_config_dir(qtbot, tmp_path: Path) -> None:
    assert settings_path() == tmp_path / "config" / "settings.json"  # the conftest redirects it
    ctx = make_context(tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    dialog = SettingsDialog(ctx.settings, window)
    device = dialog.editors["device"]
    device.setCurrentIndex(device.findData("cpu"))
    dialog.editors["min_face"].setValue(32)
    source = dialog.editors["subclass_source"]
    source.setCurrentIndex(source.findData("album"))
    dialog.editors["summary_size"].setValue(20)
    dialog.editors["index_location"].setText(str(tmp_path / "indexes"))
    window.apply_settings(dialog.values())
    stored = load_settings(ctx.settings_file)
    assert stored == ctx.settings
    assert (stored.device, stored.min_face, stored.subclass_source, stored.summary_size) == ("cpu", 32.0, "album", 20)
    assert stored.index_path(tmp_path / "a").parent == tmp_path / "indexes"
    assert window.summary.count.value() == 20 and window.browse.source.currentData() == "album"
    again = MainWindow(make_context(tmp_path))  # a new session reads them back
    qtbot.addWidget(again)
    assert again.ctx.settings == stored


def test_bad_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"device": "tpu", "min_face": -3, "summary_size": 7, "colour": "red"}))
    s = load_settings(path)
    assert s == dataclasses.replace(Settings(), summary_size=7)
    path.write_text("{not json")
    assert load_settings(path) == Settings()


def test_recent_albums_are_unique_and_bounded(tmp_path: Path) -> None:
    s = Settings()
    for k in range(10):
        s = s.with_recent(tmp_path / f"a{k}")
    s = s.with_recent(tmp_path / "a5")
    assert s.recent_albums[0] == str((tmp_path / "a5").resolve()) and len(s.recent_albums) == 8
    assert len(set(s.recent_albums)) == 8


def test_worker_delivers_progress_and_result_on_the_gui_thread(qtbot) -> None:
    runner = Runner(QThreadPool())
    main = threading.get_ident()
    seen: list[tuple[object, int]] = []

    def job(cancelled):
        yield from range(3)
        return "done"

    handle = runner.start("gen", job, on_progress=lambda k: seen.append((k, threading.get_ident())))
    with qtbot.waitSignal(handle.result, timeout=5000) as result:
        pass
    assert result.args == ["done"] and [k for k, _ in seen] == [0, 1, 2]
    assert {t for _, t in seen} == {main}


def test_worker_turns_exceptions_into_error_signals(qtbot) -> None:
    runner = Runner(ImmediatePool())
    errors: list[Exception] = []
    finished: list[bool] = []

    def boom(cancelled):
        raise RuntimeError("disk on fire")

    handle = runner.start("boom", boom, on_error=errors.append, on_finished=lambda: finished.append(True))
    assert [str(e) for e in errors] == ["disk on fire"] and finished == [True] and handle.done
    assert not runner.active


class DeferredPool:
    """Holds jobs until the test runs them, so the handle exists before the first item."""

    def __init__(self) -> None:
        self.jobs: list = []
        self.priorities: list[int] = []

    def start(self, runnable, priority: int = 0) -> None:
        self.jobs.append(runnable)
        self.priorities.append(priority)

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


def test_cancel_stops_a_generator_between_items(qtbot) -> None:
    pool = DeferredPool()
    runner = Runner(pool)
    closed: list[bool] = []
    got: list[int] = []

    def job(cancelled):
        try:
            yield from range(100)
        finally:
            closed.append(True)

    handle = runner.start("gen", job, on_progress=lambda k: (got.append(k), k == 2 and handle.cancel()))
    pool.jobs[0].run()
    assert got == [0, 1, 2] and closed == [True] and handle.cancelled()


def test_a_job_superseded_in_its_slot_is_dropped_before_it_runs(qtbot) -> None:
    from albumsum.ui.workers import BACKGROUND, BROWSE

    pool = DeferredPool()
    runner = Runner(pool)
    ran: list[str] = []
    results: list[str] = []
    first = runner.start("map", lambda c: ran.append("old") or "old", on_result=results.append, slot="map")
    second = runner.start("map", lambda c: ran.append("new") or "new", on_result=results.append, slot="map")
    runner.start("thumbs", lambda c: None, priority=BROWSE)
    assert first.cancelled() and not second.cancelled()
    assert pool.priorities == [BACKGROUND, BACKGROUND, BROWSE]
    for task in pool.jobs:
        task.run()
    qtbot.waitUntil(lambda: first.done and second.done)
    assert ran == ["new"] and results == ["new"]  # the superseded job never ran
    assert not runner.slots and not runner.active


@pytest.mark.parametrize("value", ["auto", "cpu", "cuda"])
def test_device_choices_are_accepted(value: str) -> None:
    from albumsum.core.settings import check

    assert check("device", value) == value
