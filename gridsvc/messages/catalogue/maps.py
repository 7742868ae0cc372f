"""Messages of maps: heat maps, choropleths, timelines, tiles and PNG maps."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    "map.k": m(
        "k must be between {low} and {high}; got {value}.",
        "分级数应在 {low} 到 {high} 之间，收到的是 {value}。",
    ),
    "map.hotspots_hidden_counts": m(
        "Hot spots cannot be shown on a map that hides small counts.",
        "隐藏小数值的地图不能显示热点。",
        "Leave out hotspots, or min_count.",
        "请不要同时使用热点图层和 min_count。",
    ),
    "map.cell_m": m(
        "cell_m must be between {low:g} and {high:g} metres; got {value:g}.",
        "网格单元大小应在 {low:g} 到 {high:g} 米之间，收到的是 {value:g}。",
    ),
    "map.cell_m_heat": m(
        "200 suits a city-wide map, 50 a street; leave it out to let the map choose.",
        "全市地图用 200 米、街道用 50 米较合适；不填则由地图自动选择。",
    ),
    "map.cell_m_timeline": m(
        "500 suits a citywide timeline.",
        "全市时间轴热力图用 500 米较合适。",
    ),
    "map.too_many_cells": m(
        "More than {limit:,} cells of {size:g} m have events: the page would be too heavy.",
        "有事件的 {size:g} 米网格单元超过 {limit:,} 个，页面会过大。",
        "Use a larger cell_m (or leave it out), or narrow the filter (category, dates).",
        "请加大网格单元（或不填），或缩小筛选范围（类别、日期）。",
    ),
    "map.too_many_period_cells": m(
        "More than {limit:,} period-cells of {size:g} m have events: the page would be too heavy.",
        "有事件的 {size:g} 米网格单元（按时期计）超过 {limit:,} 个，页面会过大。",
        "Use a larger cell_m, a longer step, or narrow the filter (category, dates).",
        "请加大网格单元、加长时间步长，或缩小筛选范围（类别、日期）。",
    ),
    "map.busy_period": m(
        "A period has {count:,} cells of {size:g} m with events; at most {limit:,} are drawn "
        "per period.",
        "有一个时期的有事件网格单元（{size:g} 米）有 {count:,} 个，每个时期最多绘制 {limit:,} 个。",
        "Use a larger cell_m.",
        "请加大网格单元。",
    ),
    "map.too_many_periods": m(
        "The range has {count} periods of one {step}; a timeline shows at most {limit}.",
        "时间范围按{step:term}分有 {count} 个时期，时间轴最多显示 {limit} 个。",
        "Use {coarser}, or narrow from/to.",
        "请改用{coarser}，或缩小时间范围（from/to）。",
    ),
    "map.coarser_day": m("step=week or step=month", "按周（step=week）或按月（step=month）"),
    "map.coarser_week": m("step=month", "按月（step=month）"),
    "map.coarser_month": m("a shorter range", "更短的时间范围"),
    "map.max_permutations": m(
        "A map computes at most {limit:,} permutations; got {value:,}.",
        "地图最多计算 {limit:,} 次置换，收到的是 {value:,}。",
        "Use permutations=999 (quick) to 9999; GET /v1/stats/hotspots goes to 99999.",
        "请使用 999（较快）到 9999 次；GET /v1/stats/hotspots 最多可到 99999 次。",
    ),
    "map.no_font": m(
        "No Chinese font is installed, so a PNG map cannot be drawn.",
        "没有安装中文字体，无法绘制 PNG 地图。",
        "Install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk; scripts/setup.sh "
        "does), then restart the service.",
        "请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk；scripts/setup.sh 会安装），"
        "然后重启服务。",
    ),
    "map.unknown_tiles": m(
        "Unknown tile base layer '{value}'.",
        "不认识的底图“{value}”。",
        "Use one of: {choices:list} (none works offline).",
        "请使用以下之一：{choices:list}（none 不需要联网）。",
    ),
    "map.tianditu_key": m(
        "Tianditu tiles need a key, and none is set.",
        "天地图底图需要密钥，但尚未设置。",
        "Set GRIDSVC_TIANDITU_KEY to a Tianditu browser key (console.tianditu.gov.cn), or use "
        "tiles=none.",
        "请把 GRIDSVC_TIANDITU_KEY 设为天地图浏览器端密钥（console.tianditu.gov.cn），"
        "或使用 tiles=none。",
    ),
    "map.png_tiles": m(
        "PNG maps have no tile base layer: they are drawn on the server, which may have no "
        "internet.",
        "PNG 地图没有底图：它在服务器上绘制，而服务器可能无法联网。",
        "Leave out tiles (or tiles=none) with format=png, or use the HTML page.",
        "使用 format=png 时请不要填写 tiles（或填 tiles=none），或改用 HTML 页面。",
    ),
    "map.no_asset": m(
        "No map asset '{name}'.",
        "没有地图资源“{name}”。",
        "Available: {available:list}.",
        "可用的资源：{available:list}。",
    ),
    "map.cli_suffix": m(
        "--out {out}: the suffix decides the format, and {suffix} is neither.",
        "--out {out}：文件扩展名决定格式，而 {suffix} 两者都不是。",
        "Name the file FILE.html (a page) or FILE.png (an image).",
        "请把文件命名为 FILE.html（网页）或 FILE.png（图片）。",
    ),
    "map.cli_png_tiles": m(
        "A PNG map has no tile base layer.",
        "PNG 地图没有底图。",
        "Leave out --tiles, or write FILE.html.",
        "请不要使用 --tiles，或输出 FILE.html。",
    ),
}
