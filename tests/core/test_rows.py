"""The batch checks of `gridsvc.events.rows` without a database: content digests are stable
across releases (a replay must match an event stored by an older version) and the same for a
report sent alone (the API) or inside a file (imports)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridsvc.crs import Crs
from gridsvc.events.rows import INPUT_COLUMNS, Batch, Defaults, content_hash

REPORTS: list[dict[str, Any]] = [
    {
        "client_event_id": "a1",
        "reporter_id": "w1",
        "category": "hazard.fire",
        "title": " 火灾隐患 ",
        "description": "楼道堆放杂物",
        "occurred_at": "2026-11-27T09:30:00+08:00",
        "lon": 118.78,
        "lat": 32.05,
        "crs": "GCJ02",
        "urgency": "Urgent",
        "address": "鼓楼区某路1号",
        "media": ["a.jpg", "b.jpg"],
        "attributes": {"floor": 3, "b": "x"},
    },
    {
        "category": "hazard.fire",
        "occurred_at": "2026-11-27T01:30:00Z",
        "lon": "118.780",
        "lat": "32.0500",
        "media": "",
        "attributes": '{"b": "x", "floor": 3}',
    },
    {
        "category": "x",
        "occurred_at": "not a time",
        "lon": "abc",
        "lat": None,
        "title": None,
        "description": float("nan"),
        "source": "HOTLINE",
    },
    {
        "category": "c",
        "occurred_at": "2026-11-27 09:30:00+0800",
        "lon": 118,
        "lat": 32,
        "crs": "",
        "source": "",
        "media": [],
        "attributes": {},
    },
    {
        "category": "c",
        "occurred_at": "2026-11-27T09:30:00",
        "lon": 1e2,
        "lat": -0.0,
        "media": '["x"]',
        "attributes": "not json",
    },
    {
        "category": "c",
        "occurred_at": "2026-11-27T09:30:00.123456+08:00",
        "lon": "1e2",
        "lat": " 32.1 ",
        "address": 12345,
    },
]

# digests computed by gridsvc 0.1.0 (the pandas implementation) for REPORTS: events stored
# by it must keep matching their replays
PINNED = {
    "wgs84/grid_worker": [
        "95f202b6555c017f4c8de6cd492072eccfcb0f50ac8f8975b5dc64f097c6339a",
        "e4836051c196c9ec9c545a0ad3c820242f4889057f79de4be11cb2abfba764cc",
        "39dd81586c1b7cdab48594b145dc81a9bc4bb979488747133877127ecdeec717",
        "39bb4a3af54e0fee00589f43b3bd8bb982ce6c37e606eb5123123f6797350e70",
        "12de11415bdcdb1636f40a605279b2f8cf1c332390334de32212fe390133af86",
        "c33b6d980f117f6f70594b77f3d23deed756c072428660908f6ffdcc2e76ea21",
    ],
    "bd09/hotline": [
        "9c1321ece55d38873bca751a090ad494476bd624a61945dd94d6b698ccc53944",
        "39c292931df5eac1b9100d403ff312d547af7533ca4fb95ac563875a066d4a98",
        "bf0a3174201d6e63e06b9fb7902d6733ab7e1229cc3207248130375e130bdd7d",
        "0e40686ff8eef309ebf38e2a9ea7355ab4140224d5bf981209d499503fc9e82e",
        "d71910e72091e991bc94a5656680c9df8eacb3e313b9122cb9a3f7aa72981c9d",
        "17ff0ca4038759edfddf3e6972b36b6afc04a8e2fd3092876a684ef4c8f415d2",
    ],
}
DEFAULTS = {
    "wgs84/grid_worker": Defaults(),
    "bd09/hotline": Defaults(crs=Crs.BD09, source="hotline"),
}


def _frame(reports: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(reports)
    for column in INPUT_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame


@pytest.mark.parametrize("name", sorted(PINNED))
def test_digests_are_those_of_the_previous_release(name: str) -> None:
    digests = content_hash(_frame(REPORTS), DEFAULTS[name])
    assert list(digests) == PINNED[name]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_report_alone_has_the_digest_it_has_in_a_batch(name: str) -> None:
    alone = [str(content_hash([r], DEFAULTS[name])[0]) for r in REPORTS]
    assert alone == PINNED[name]


def test_integer_and_decimal_coordinates_are_the_same_report() -> None:
    # a phone may send 118 as a JSON integer; the same point in a CSV reads "118.0"
    as_int = content_hash([{**REPORTS[3], "lon": 118, "lat": 32}], Defaults())[0]
    as_text = content_hash([{**REPORTS[3], "lon": "118.0", "lat": "32.00"}], Defaults())[0]
    assert as_int == as_text == PINNED["wgs84/grid_worker"][3]


def test_a_list_of_reports_and_a_frame_are_the_same_batch() -> None:
    from_list = Batch.of(REPORTS)
    from_frame = Batch.of(_frame(REPORTS))
    for column in INPUT_COLUMNS:
        assert list(from_list.text(column)) == list(from_frame.text(column)), column


_text = st.one_of(st.none(), st.text(max_size=12), st.floats(allow_nan=True), st.integers())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "title": _text,
                "occurred_at": st.one_of(
                    _text, st.just("2026-11-27T09:30:00+08:00"), st.just("2026-11-27T09:30:00")
                ),
                "lon": _text,
                "lat": _text,
                "crs": st.sampled_from([None, "", "WGS84", "gcj02", "bd-09", "x"]),
                "media": st.one_of(_text, st.lists(st.text(max_size=4), max_size=2)),
                "attributes": st.one_of(
                    _text, st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
                ),
            }
        ),
        min_size=1,
        max_size=6,
    )
)
def test_digests_do_not_depend_on_the_other_rows_of_a_batch(reports: list[dict[str, Any]]) -> None:
    together = list(content_hash(reports, Defaults()))
    alone = [str(content_hash([r], Defaults())[0]) for r in reports]
    assert together == alone
