"""SeenRows: the compact per-run key store drops exactly the keys added before, never another."""

from __future__ import annotations

import itertools

from tap_magento_inventory.client import SeenRows


def test_a_key_is_new_once_then_seen() -> None:
    seen = SeenRows()
    assert seen.add(["SKU-1", "src-a"])
    assert not seen.add(["SKU-1", "src-a"])
    assert seen.add(["SKU-1", "src-b"])
    assert seen.add(["SKU-2", "src-a"])
    assert len(seen) == 3  # noqa: PLR2004


def test_values_of_different_types_stay_apart() -> None:
    keys = [[1, "a"], ["1", "a"], [1.0, "a"], [True, "a"], [None, "a"], ["None", "a"], ["a", 1], ["a", "1"],
            [-0.0, "a"], [0.0, "a"], [0, "a"], [False, "a"], [(1,)], [1], ["1"], []]  # fmt: skip
    seen = SeenRows()
    assert all(seen.add(key) for key in keys)
    assert not any(seen.add(key) for key in keys)


def test_separator_inside_values_does_not_merge_keys() -> None:
    seen = SeenRows()
    assert seen.add(["a\x1f'b'", "c"])
    assert seen.add(["a", "b\x1f'c'"])
    assert seen.add(["a", "b", "c"])
    assert not seen.add(["a", "b", "c"])


def test_more_rests_of_keys_than_bits_fall_back_exactly() -> None:
    """Past max_tails distinct rests, keys go to whole strings; every key still counts once."""
    seen = SeenRows(max_tails=3)
    keys = [[sku, f"src-{n}"] for sku, n in itertools.product(["A", "B", 7], range(8))]
    assert all(seen.add(key) for key in keys)
    assert not any(seen.add(key) for key in keys)
    assert len(seen) == len(keys)


def test_matches_a_plain_set_of_keys_on_a_mixed_stream() -> None:
    """Against the obvious exact store (a set of tuples of (type, value)) on rows with many repeats."""
    seen, reference = SeenRows(max_tails=5), set()
    values = ["x", "y", 1, 2, 1.5, None, True, "1"]
    for key in itertools.product(values, values, repeat=1):
        for attempt in range(2):
            typed = tuple((type(v), v) for v in key)
            expected_new = typed not in reference
            reference.add(typed)
            assert seen.add(list(key)) is expected_new, (key, attempt)
