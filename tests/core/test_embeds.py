"""Public map embeds (gridsvc.embeds): signed links, the secret, publish/revoke/expiry, and
the suppression of small counts in choropleths and heat maps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridsvc.cli import app
from gridsvc.embeds import (
    EmbedLink,
    embed_secret,
    list_embeds,
    open_embed,
    publish,
    revoke,
    sign,
    verify,
)
from gridsvc.errors import Gone, InvalidInput, NotFound
from gridsvc.maps import assert_offline, choropleth_frame, choropleth_html, heat_bins
from gridsvc.maps.choropleth import SUPPRESSED_COLOUR
from gridsvc.service import Gridsvc
from gridsvc.settings import EmbedSettings
from tests.embed_data import ADDRESS, DESCRIPTION, REPORTER, Seeded, seed_streets

SECRET = b"k" * 32
WHEN = datetime(2026, 12, 28, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def seeded(svc: Gridsvc) -> Iterator[tuple[Gridsvc, Seeded]]:
    svc.clock = lambda: NOW
    yield svc, seed_streets(svc)


def _properties(html: str, code: str) -> dict[str, object]:
    """The GeoJSON properties of unit ``code`` as the page carries them."""
    found = re.findall(r'\{[^{}]*"code": "' + code + r'"[^{}]*\}', html)
    assert len(found) == 1, found
    props: dict[str, object] = json.loads(found[0])
    return props


# --- links -----------------------------------------------------------------------------------


def test_link_round_trip_and_every_alteration_is_not_found() -> None:
    link = sign(SECRET, 42, WHEN)
    unix = int(WHEN.timestamp())
    assert link.path == f"/embed/{link.token}" and link.token.startswith(f"42.{unix}.")
    assert verify(SECRET, link.token) == link
    sig = link.signature
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (
        f"42.{unix}.{flipped}",  # signature altered
        f"43.{unix}.{sig}",  # another embed
        f"42.{unix + 1}.{sig}",  # a later expiry
        link.token + "x",
        f"42.{unix}",
        "",
        "../../etc/passwd",
    ):
        with pytest.raises(NotFound) as caught:
            verify(SECRET, bad)
        assert caught.value.message == "There is no map at this link."
    with pytest.raises(NotFound):
        verify(b"another secret of thirty-two byte", link.token)
    with pytest.raises(ValueError):
        sign(SECRET, 1, WHEN.replace(microsecond=5))


def test_secret_is_made_once_and_kept_or_comes_from_the_setting(svc: Gridsvc) -> None:
    first = embed_secret(svc)
    assert re.fullmatch(rb"[0-9a-f]{64}", first)
    assert embed_secret(svc) == first
    again = Gridsvc(svc.settings, svc.db)  # another process: the same stored secret
    assert embed_secret(again) == first
    configured = svc.settings.model_copy(
        update={"embeds": EmbedSettings(embed_secret="s" * 40)}  # type: ignore[arg-type]
    )
    assert embed_secret(Gridsvc(configured, svc.db)) == b"s" * 40
    with pytest.raises(ValueError, match="32 characters"):
        EmbedSettings(embed_secret="short")  # type: ignore[arg-type]


def test_frame_ancestors_setting_is_parsed_and_cannot_inject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert EmbedSettings().embed_frame_ancestors == ["'self'"]
    monkeypatch.setenv("GRIDSVC_EMBED_FRAME_ANCESTORS", "self, https://oa.example.gov.cn:8443/")
    assert EmbedSettings().embed_frame_ancestors == ["'self'", "https://oa.example.gov.cn:8443"]
    monkeypatch.setenv("GRIDSVC_EMBED_FRAME_ANCESTORS", "")
    assert EmbedSettings().embed_frame_ancestors == ["'none'"]
    for bad in ("https://a.example; script-src *", "https://a.example/path", "javascript:x"):
        monkeypatch.setenv("GRIDSVC_EMBED_FRAME_ANCESTORS", bad)
        with pytest.raises(ValueError, match="frame-ancestors"):
            EmbedSettings()


# --- suppression -----------------------------------------------------------------------------


def test_choropleth_suppresses_units_below_min_count(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, data = seeded
    few, some, more = data.codes
    open_units, _ = choropleth_frame(svc, "street", value="n")
    assert open_units.set_index("code").loc[few, "value_text"] == "3"  # unsuppressed: exact

    units, classes = choropleth_frame(svc, "street", value="n", min_count=5)
    by_code = units.set_index("code")
    assert by_code.loc[few, "value_text"] == "<5"
    assert pd.isna(by_code.loc[few, "value"])
    assert by_code.loc[few, "colour"] == SUPPRESSED_COLOUR
    assert by_code.loc[some, "value"] == 7 and by_code.loc[more, "value"] == 12
    # streets without events are below 5 too; classes come from 7 and 12 alone
    assert units.attrs["suppressed"] == len(units) - 2
    assert classes.lower == 7.0 and classes.bins[-1] == 12.0
    assert set(units.loc[units["value"].isna(), "colour"]) == {SUPPRESSED_COLOUR}

    dens, _ = choropleth_frame(svc, "street", value="density_per_km2", min_count=5)
    assert pd.isna(dens.set_index("code").loc[few, "value"])
    assert dens.set_index("code").loc[some, "value"] > 0


def test_choropleth_page_never_carries_a_suppressed_count(
    seeded: tuple[Gridsvc, Seeded],
) -> None:
    svc, data = seeded
    few = data.codes[0]
    plain = choropleth_html(svc, "street", value="density_per_km2")
    exact_density = _properties(plain, few)["value"]
    assert isinstance(exact_density, float) and exact_density > 0

    page = choropleth_html(svc, "street", value="density_per_km2", min_count=5)
    props = _properties(page, few)
    assert props["value"] is None and props["value_text"] == "<5"
    assert f"{exact_density}" not in page and f"{exact_density:,.2f}" not in page
    assert "少于5件" in page and "无数据" not in page
    assert_offline(page)
    count_page = choropleth_html(svc, "street", value="n", min_count=5)
    assert '"value_text": "3"' not in count_page and '"value": 3' not in count_page
    assert _properties(count_page, data.codes[1])["value_text"] == "7"


def test_heat_bins_drop_cells_below_min_count(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, _ = seeded
    every = heat_bins(svc, cell_m=500)
    assert sorted(every.frame["n"]) == [3, 7, 12] and every.total == 22
    kept = heat_bins(svc, cell_m=500, min_count=5)
    assert sorted(kept.frame["n"]) == [7, 12] and kept.total == 19 and kept.min_count == 5


# --- publish, open, revoke, expire -----------------------------------------------------------


def test_publish_and_open_a_choropleth(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, data = seeded
    done = publish(
        svc,
        "choropleth",
        {"level": "street", "category": "hazard", "from": "2026-11-01", "to": "2026-12-01"},
        title="十一月安全隐患 <街道>",
        created_by="admin-1",
    )
    assert done.embed.expires_at == NOW + timedelta(days=30)
    assert done.embed.params == {
        "category": ["hazard"],
        "from": "2026-11-01",
        "to": "2026-12-01",
        "level": "street",
        "value": "n",
        "scheme": "quantiles",
        "k": 5,
    }
    assert done.embed.min_count == 5
    page = open_embed(svc, done.link.token).html
    assert "<title>十一月安全隐患 &lt;街道&gt;</title>" in page
    assert _properties(page, data.codes[0])["value_text"] == "<5"
    assert "/static/maps/leaflet.js" in page
    assert_offline(page)
    for personal in (REPORTER, DESCRIPTION, ADDRESS):
        assert personal not in page
    listed = list_embeds(svc)
    assert [p.embed.id for p in listed] == [done.embed.id]
    assert listed[0].link == done.link and listed[0].embed.state(NOW) == "active"


def test_pages_are_frozen_at_publish_time(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, _ = seeded
    done = publish(svc, "heatmap", {"cell_m": 500}, title="热力", created_by="a")
    before = open_embed(svc, done.link.token).html
    assert "事件数：19（不含少于5件的方格）" in before
    # the same streets again (under other ids): every count doubles
    svc.db.cursor_fetchall("UPDATE event SET client_event_id = client_event_id || '-old'")
    svc.db.cursor_fetchall("UPDATE event_key SET client_event_id = client_event_id || '-old'")
    seed_streets(svc)
    assert open_embed(svc, done.link.token).html == before
    fresh = publish(svc, "heatmap", {"cell_m": 500}, title="热力", created_by="a")
    assert "事件数：44（不含少于5件的方格）" in open_embed(svc, fresh.link.token).html


def test_revoked_and_expired_embeds_are_gone(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, _ = seeded
    kept = publish(svc, "heatmap", {}, title="kept", created_by="a", days=1)
    dropped = publish(svc, "heatmap", {}, title="dropped", created_by="a")
    revoke(svc, dropped.embed.id)
    with pytest.raises(Gone, match="withdrawn"):
        open_embed(svc, dropped.link.token)
    with pytest.raises(NotFound):
        revoke(svc, dropped.embed.id)  # once is enough
    with pytest.raises(NotFound):
        revoke(svc, 999_999)
    states = {p.embed.title: p.embed.state(NOW) for p in list_embeds(svc)}
    assert states == {"kept": "active", "dropped": "revoked"}

    assert open_embed(svc, kept.link.token).html
    svc.clock = lambda: NOW + timedelta(days=1)
    with pytest.raises(Gone, match=r"expired on 2026-11-29 16:00 \(UTC\+08:00\)"):
        open_embed(svc, kept.link.token)
    svc.clock = lambda: NOW + timedelta(days=1) - timedelta(seconds=1)
    assert open_embed(svc, kept.link.token).html


def test_a_valid_signature_for_no_embed_is_not_found(seeded: tuple[Gridsvc, Seeded]) -> None:
    svc, _ = seeded
    done = publish(svc, "heatmap", {}, title="t", created_by="a")
    secret = embed_secret(svc)
    for link in (
        sign(secret, done.embed.id + 1, done.embed.expires_at),  # no such embed
        sign(secret, done.embed.id, done.embed.expires_at + timedelta(days=1)),  # not its expiry
    ):
        with pytest.raises(NotFound):
            open_embed(svc, link.token)
    forged = EmbedLink(done.embed.id, done.embed.expires_at, "A" * 43)
    with pytest.raises(NotFound):
        open_embed(svc, forged.token)


@pytest.mark.parametrize(
    ("kind", "params", "extra", "field"),
    [
        ("pie", {}, {}, "kind"),
        ("choropleth", {"lvl": "street"}, {}, "lvl"),
        ("choropleth", {"k": "many"}, {}, "k"),
        ("choropleth", {"scheme": "natural"}, {}, "scheme"),
        ("choropleth", {"from": "2026-11-01T00:00:00"}, {}, "from"),
        ("heatmap", {"cell_m": 200}, {}, "cell_m"),
        ("heatmap", {"min_count": 0}, {}, "min_count"),
        ("heatmap", {}, {"days": 366}, "expires_in_days"),
        ("heatmap", {}, {"days": 0}, "expires_in_days"),
        ("heatmap", {}, {"title": "  "}, "title"),
    ],
)
def test_publish_refuses_what_it_cannot_honour(
    svc: Gridsvc, kind: str, params: dict[str, object], extra: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"title": "t", "created_by": "a", **extra}
    with pytest.raises(InvalidInput) as caught:
        publish(svc, kind, params, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert list_embeds(svc) == []


def test_cli_publishes_lists_and_revokes(seeded: tuple[Gridsvc, Seeded], db_url: str) -> None:
    svc, data = seeded
    env = {"GRIDSVC_DATABASE_URL": db_url}
    made = runner.invoke(
        app,
        [
            "embed",
            "publish",
            "choropleth",
            "--title",
            "街道",
            "--param",
            "level=street",
            "--param",
            "k=3",
            "--days",
            "7",
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    path = made.stdout.strip()
    svc.clock = lambda: datetime.now(UTC)  # the CLI runs on the real clock
    page = open_embed(svc, path.removeprefix("/embed/")).html
    assert _properties(page, data.codes[0])["value_text"] == "<5"
    listed = runner.invoke(app, ["embed", "list"], env=env)
    rows = json.loads(listed.stdout)
    assert [(r["url"], r["state"], r["params"]["k"]) for r in rows] == [(path, "active", 3)]
    bad = runner.invoke(
        app, ["embed", "publish", "heatmap", "--title", "t", "--param", "cell_m=100"], env=env
    )
    assert bad.exit_code == 1 and "at least 500" in bad.output
    gone = runner.invoke(app, ["embed", "revoke", str(rows[0]["id"])], env=env)
    assert gone.exit_code == 0, gone.output
    with pytest.raises(Gone):
        open_embed(svc, path.removeprefix("/embed/"))
