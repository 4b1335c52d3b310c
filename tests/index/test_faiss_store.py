from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.base import Vectors
from index.faiss_store import INDEX_FILE, FaissStore
from troly.errors import IndexCorruptError


def _unit(rows: list[list[float]]) -> Vectors:
    m = np.asarray(rows, dtype=np.float32)
    out: Vectors = (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)
    return out


def test_search_returns_ids_by_inner_product() -> None:
    store = FaissStore(3)
    store.add(["a", "b", "c"], _unit([[1, 0, 0], [0, 1, 0], [1, 1, 0]]))
    found = store.search(_unit([[1, 0.1, 0]]), 2)
    assert [i for i, _ in found] == ["a", "c"]
    assert found[0][1] == pytest.approx(float(_unit([[1, 0.1, 0]])[0, 0]), rel=1e-5)
    assert len(store.search(_unit([[1, 0, 0]]), 10)) == 3


def test_remove_keeps_the_id_mapping() -> None:
    store = FaissStore(2)
    store.add(["a", "b", "c"], _unit([[1, 0], [0, 1], [1, 1]]))
    store.remove(["a", "zzz"])
    assert len(store) == 2 and store.ids == ["b", "c"]
    assert store.search(_unit([[1, 0]]), 1)[0][0] == "c"


def test_save_load_round_trip(tmp_path: Path) -> None:
    store = FaissStore(2)
    store.add(["x#0", "y#1"], _unit([[1, 0], [0, 1]]))
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path)
    assert loaded.ids == ["x#0", "y#1"] and loaded.dim == 2
    np.testing.assert_allclose(loaded.vectors(), store.vectors())
    assert loaded.search(_unit([[0, 1]]), 1)[0][0] == "y#1"


def test_wrong_shape_is_rejected() -> None:
    with pytest.raises(ValueError):
        FaissStore(4).add(["a"], np.zeros((1, 3), dtype=np.float32))


def test_unreadable_index_is_reported_as_corrupt(tmp_path: Path) -> None:
    store = FaissStore(2)
    store.add(["a"], _unit([[1, 0]]))
    store.save(tmp_path)
    (tmp_path / INDEX_FILE).write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="troly index rebuild"):
        FaissStore.load(tmp_path)
