"""Storing a taxonomy in the ``category`` table and reading it back."""

from __future__ import annotations

from dataclasses import replace

import psycopg2.extras

from gridsvc.db.pool import Connection
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.events.taxonomy_file import parse_category_rows
from gridsvc.sql import query


def store_taxonomy(conn: Connection, taxonomy: Taxonomy) -> list[str]:
    """Upsert every category into the ``category`` table and deactivate the ones missing.

    Categories are never deleted (stored events keep their codes); one that the taxonomy no
    longer has gets ``active = false``, and comes back active if a later taxonomy has it
    again. Runs in the caller's transaction. A category whose ``sensitive`` flag changes has
    its events moved in the events tiles' bins (``event_tile_bin_resensitize.sql``), with
    ``event`` locked against writers until the caller commits; when the set of sensitive
    categories changes, the partial index of their events (``event_sensitive_geom``) is built
    again for the new set. Returns the codes deactivated now, sorted.
    """
    rows = [{**c.to_dict(), "sort_order": c.sort_order} for c in taxonomy.categories]
    with conn.cursor() as cur:
        cur.execute(query("category_sensitivity"))
        stored = {str(code): bool(sensitive) for code, sensitive in cur.fetchall()}
        incoming = {c.code for c in taxonomy.categories}
        changed = sorted(
            c.code
            for c in taxonomy.categories
            if c.code in stored and stored[c.code] != c.sensitive
        )
        if changed:
            # the events tiles' bins place a sensitive category's events apart (migration
            # 0014): no event may be stored between the flag's change and their move
            cur.execute(query("event_table_lock_share"))
        cur.execute(query("category_upsert"), {"categories": psycopg2.extras.Json(rows)})
        deactivated = sorted(str(code) for (code,) in cur.fetchall())
        if changed:
            cur.execute(query("event_tile_bin_resensitize"), {"codes": changed})
        now_sensitive = {c.code for c in taxonomy.categories if c.sensitive} | {
            code for code, sensitive in stored.items() if sensitive and code not in incoming
        }
        if now_sensitive != {code for code, sensitive in stored.items() if sensitive}:
            cur.execute(query("event_sensitive_index"), {"codes": sorted(now_sensitive)})
        return deactivated


def read_taxonomy(conn: Connection, *, include_inactive: bool = False) -> Taxonomy:
    """The taxonomy stored in the ``category`` table (empty when none was stored).

    With ``include_inactive``, deactivated categories are included (``active`` False), e.g.
    to name the categories of old events. Rows are checked as a file would be; a table edited
    by hand into an inconsistent state raises :class:`InvalidInput` naming the rows.
    """
    with conn.cursor() as cur:
        cur.execute(query("category_all"), {"include_inactive": include_inactive})
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        return Taxonomy(())
    active = {r["code"]: r.pop("active") for r in rows}
    categories = parse_category_rows(rows, origin="in the category table")
    return Taxonomy(tuple(replace(c, active=active[c.code]) for c in categories))
