"""Atomic writes: permissions of an ordinary file, nothing left behind on failure."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from mixedopt.files import atomic_path, atomic_savez, atomic_write_text


def test_new_files_get_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        atomic_savez(tmp_path / "b.npz", {"x": np.arange(3)})
    finally:
        os.umask(old)
    for name in ("a.json", "b.npz"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644
    assert np.load(tmp_path / "b.npz", allow_pickle=False)["x"].tolist() == [0, 1, 2]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    atomic_write_text(target, "old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
