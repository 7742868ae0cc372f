"""Public map embeds: maps an admin publishes as signed, expiring links that need no token
and show aggregates only (units and heat cells with fewer than ``GRIDSVC_EMBED_MIN_COUNT``
events are shown as "<k" or left out)::

    from gridsvc.embeds import open_embed, publish
    done = publish(svc, "choropleth", {"level": "street", "category": "hazard"},
                   title="11月安全隐患", created_by="admin")
    done.link.path      # "/embed/12.1798675200.Zm9v…", relative to the server
"""

from gridsvc.embeds.kinds import KINDS, MIN_HEAT_CELL_M, EmbedKind
from gridsvc.embeds.signing import EMBED_PATH, EmbedLink, embed_secret, sign, verify
from gridsvc.embeds.store import (
    DEFAULT_DAYS,
    MAX_DAYS,
    Embed,
    EmbedPage,
    Published,
    list_embeds,
    open_embed,
    publish,
    revoke,
)

__all__ = [
    "DEFAULT_DAYS",
    "EMBED_PATH",
    "KINDS",
    "MAX_DAYS",
    "MIN_HEAT_CELL_M",
    "Embed",
    "EmbedKind",
    "EmbedLink",
    "EmbedPage",
    "Published",
    "embed_secret",
    "list_embeds",
    "open_embed",
    "publish",
    "revoke",
    "sign",
    "verify",
]
