"""Messages of the open standards: OGC API Features (gridsvc.features, api/routes/ogc.py) and
vector tiles (gridsvc.vtiles, api/routes/vtiles.py)."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    # --- OGC API Features ---
    "ogc.unknown_crs": m(
        "{field} '{value}' is not a coordinate system this service offers.",
        "本服务不提供坐标系“{value}”（参数 {field}）。",
        "Use one of: {uris:list}.",
        "请使用以下之一：{uris:list}。",
    ),
    "ogc.no_collection": m(
        "There is no collection '{collection}'.",
        "没有“{collection}”这个数据集合。",
        "Collections: {available:list}.",
        "现有的数据集合：{available:list}。",
    ),
    "ogc.stats_citywide": m(
        "{who} may not read statistics collections.",
        "{who}无权读取统计数据集合。",
        "Statistics are for citywide roles: analysts, admins and city dispatchers.",
        "统计数据仅供全市范围的角色使用：分析员、管理员和市级调度员。",
    ),
    "ogc.datetime_order": m(
        "datetime '{value}' ends before it starts.",
        "时间 datetime“{value}”的结束早于开始。",
        "Give the start first: start/end.",
        "请先写开始时间：开始/结束。",
    ),
    "ogc.events_only": m(
        "The collection '{collection}' has no parameter {field} (events only).",
        "数据集合“{collection}”没有参数 {field}（只有事件集合有）。",
        "Filter units with bbox, or read the events collection.",
        "网格单元请用 bbox 筛选，或改读事件集合 events。",
    ),
    "ogc.not_event_id": m(
        "'{value}' is not an event id.",
        "“{value}”不是事件编号。",
        "Event ids are whole numbers, as in the events' links.",
        "事件编号是整数，见事件的链接。",
    ),
    "ogc.no_unit": m(
        "The collection '{collection}' has no unit '{value}'.",
        "数据集合“{collection}”中没有单元“{value}”。",
        "Unit ids are grid codes, as in the items' links.",
        "单元编号是网格代码，见要素的链接。",
    ),
    "ogc.needs_token": m(
        "This endpoint needs a token.",
        "此接口需要令牌。",
        "Send the header `Authorization: Bearer <token>` (or the token as the password of "
        "HTTP Basic, as QGIS does); an admin creates tokens with `gridsvc token create`.",
        "请在请求头中发送 `Authorization: Bearer <令牌>`（或像 QGIS 那样把令牌作为 HTTP Basic "
        "认证的密码）；令牌由管理员用 `gridsvc token create` 创建。",
    ),
    # --- vector tiles ---
    "tile.zoom_range": m(
        "Zoom {z} is out of range.",
        "缩放级别 {z} 超出范围。",
        "Use a zoom from 0 to {max_zoom}.",
        "请使用 0 到 {max_zoom} 之间的缩放级别。",
    ),
    "tile.xy_range": m(
        "Tile {field} {value} does not exist at zoom {z}.",
        "缩放级别 {z} 下没有 {field} 为 {value} 的瓦片。",
        "At zoom {z}, x and y go from 0 to {last} (XYZ scheme, y from the north).",
        "缩放级别 {z} 下 x 和 y 的范围是 0 到 {last}（XYZ 方案，y 从北向南）。",
    ),
    "tile.no_layer": m(
        "No tile layer '{layer}'.",
        "没有“{layer}”这个瓦片图层。",
        "Layers: {available:list} (GET /tiles lists them).",
        "现有图层：{available:list}（GET /tiles 可列出）。",
    ),
    "tile.events_min_zoom": m(
        "The events layer has no tiles below zoom {min_zoom} (asked: {z}).",
        "事件图层没有低于 {min_zoom} 级的瓦片（请求的是 {z} 级）。",
        "Ask for zoom {min_zoom} or more (its TileJSON says minzoom), or use /v1/maps/heatmap "
        "or /v1/stats for the whole city.",
        "请请求 {min_zoom} 级或以上（见其 TileJSON 的 minzoom），全市范围请用 /v1/maps/heatmap "
        "或 /v1/stats。",
    ),
    "tile.grid_no_filters": m(
        "The {layer} layer takes no query parameters (got: {names:list}).",
        "{layer} 图层不接受查询参数（收到：{names:list}）。",
        "Event filters (category, from, to, …) apply to the events layer only.",
        "事件筛选条件（category、from、to 等）只适用于事件图层。",
    ),
}
