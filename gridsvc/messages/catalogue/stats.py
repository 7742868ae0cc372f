"""Messages of statistics: filters, periods, levels, comparisons and hot spots."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    "common.unknown_choice": m(
        "Unknown {field} {value:quoted}.",
        "{field:label}{value:quoted}无效。",
        "Use one of: {choices:list}.",
        "请使用以下之一：{choices:choices}。",
    ),
    "stats.empty_filter": m(
        "{field} is empty, so no event could match.",
        "{field:label}为空，没有事件能符合条件。",
        "Give at least one {field} value, or None for all.",
        "请至少给出一个{field:label}，或不填（表示全部）。",
    ),
    "stats.filter_text": m(
        "{field} values must be non-empty text; got {value}.",
        "{field:label}的每个值都应是非空的文字，收到的是 {value}。",
    ),
    "stats.not_a_day": m(
        "{field} must be a calendar date (Beijing day), not {value}.",
        "{field:label}应为日期（北京时间的一天），不能是 {value}。",
        "Pass datetime.date(2026, 11, 1); the range is [date_from, date_to).",
        "请给出日期，如 datetime.date(2026, 11, 1)；范围为 [开始日期, 结束日期)。",
    ),
    "stats.empty_range": m(
        "date_to ({date_to}) must be after date_from ({date_from}): the range "
        "[date_from, date_to) would be empty.",
        "结束日期（{date_to}）应晚于开始日期（{date_from}），否则时间范围为空。",
        "date_to is the first day not counted, e.g. [2026-11-01, 2026-12-01) is November.",
        "结束日期是不计入的第一天，如 [2026-11-01, 2026-12-01) 即 11 月整月。",
    ),
    "stats.needs_dates": m(
        "{field} needs both date_from and date_to: the test weighs the two periods by their "
        "lengths.",
        "{field:label}需要同时给出开始日期和结束日期：检验要按两个时期的长度加权。",
        "Give each filter a closed range [date_from, date_to) of Beijing days.",
        "请为每个时期给出完整的日期范围 [开始日期, 结束日期)（北京时间）。",
    ),
    "stats.filters_differ": m(
        "The two filters differ in more than their dates, so a change in counts could not be "
        "told apart from the change of what is counted.",
        "两个时期的筛选条件除日期外还有不同，无法分辨数量的变化是来自时间还是来自统计口径。",
        "Use the same categories, status, urgency and source in both filters.",
        "请在两个时期使用相同的类别、状态、紧急程度和来源。",
    ),
    "stats.periods_overlap": m(
        "The periods [{from1}, {to1}) and [{from2}, {to2}) overlap: their counts would share "
        "events and the test assumes independent counts.",
        "时期 [{from1}, {to1}) 与 [{from2}, {to2}) 有重叠：两者会计入相同的事件，"
        "而检验要求两者相互独立。",
        "Compare periods that do not overlap, e.g. a month with the month before.",
        "请比较不重叠的时期，如某月与上月。",
    ),
    "stats.alpha": m(
        "{field} must be between 0 and 1; got {value}.",
        "{field:label}应在 0 和 1 之间，收到的是 {value}。",
    ),
    "stats.unit_codes": m(
        "Use a city, district (6 digits), sector (S…), street (9) or community (12) code; "
        "list them with GET /v1/grids?level=street&geometry=false.",
        "请填写全市、区（6位）、板块（S开头）、街道（9位）或社区（12位）代码；"
        "代码列表可用 GET /v1/grids?level=street&geometry=false 查询。",
    ),
    "stats.finer_than_community": m(
        "'{code}' is a {level}; statistics are kept per community at the finest.",
        "“{code}”是{level:term}；统计最细到社区。",
        "Use the code of its community ({community}).",
        "请使用它所在社区的代码（{community}）。",
    ),
    "stats.level": m(
        "Statistics are not kept per {level}: the finest level is the community.",
        "统计不按{level:term}进行：最细到社区。",
        "Use one of: {levels:list}.",
        "请使用以下层级之一：{levels:choices}。",
    ),
    "stats.citywide": m(
        "{who} may not read citywide statistics.",
        "{who}无权查看全市统计。",
        "Statistics need an analyst, admin or city dispatcher token.",
        "查看统计需要分析员、管理员或市级调度员的令牌。",
    ),
    "stats.needs_period": m(
        "{what} needs from and to (the current period).",
        "{what}需要开始日期和结束日期（当前时期）。",
        "e.g. from=2026-11-01&to=2026-12-01&base_from=2026-10-01&base_to=2026-11-01",
        "例如 from=2026-11-01&to=2026-12-01&base_from=2026-10-01&base_to=2026-11-01。",
    ),
    "stats.what_compare": m("A comparison", "对比统计"),
    "stats.what_compare_map": m("A comparison map", "对比图"),
    "stats.no_geometry": m(
        "This statistic has no geometry; use format=json or csv.",
        "此项统计没有几何图形，请使用 format=json 或 csv。",
    ),
    "stats.cli_not_a_day": m(
        "--{name} '{value}' is not a date (YYYY-MM-DD).",
        "--{name} “{value}”不是日期（YYYY-MM-DD）。",
    ),
    "stats.cli_needs_geometry": m(
        "--format {format} needs geometry; this statistic has none (use csv).",
        "--format {format} 需要几何图形，而此项统计没有（请用 csv）。",
    ),
    "stats.cli_needs_out": m(
        "--format {format} writes a file: give --out.",
        "--format {format} 会写入文件，请给出 --out。",
    ),
    "stats.cli_format": m(
        "Unknown format '{format}'.",
        "不支持的格式“{format}”。",
        "Use csv, geojson or gpkg.",
        "请使用 csv、geojson 或 gpkg。",
    ),
    "stats.cli_interval": m(
        "--interval must be day, week or month.",
        "--interval 应为 day、week 或 month。",
    ),
    # --- hot spots (gridsvc.stats.hotspots) ---
    "hotspot.permutations": m(
        "permutations must be at least {minimum}; got {value}.",
        "置换次数至少为 {minimum}，收到的是 {value}。",
        "999 suffices for 90%/95% maps; 99,999 lets single small clusters reach 99% with the "
        "FDR correction.",
        "90%、95% 置信度的地图用 999 次即可；要让单个小聚集在 FDR 校正下达到 99%，需要 99,999 次。",
    ),
    "hotspot.values": m(
        "values must be one finite number per unit.",
        "每个统计单元都应有一个有限的数值。",
    ),
    "hotspot.min_units": m(
        "Hot spot analysis needs at least {minimum} units; this level has {count}.",
        "热点分析至少需要 {minimum} 个统计单元，此层级只有 {count} 个。",
        "Use the street or community level.",
        "请选择街道或社区层级。",
    ),
    "hotspot.negative": m(
        "Gi* needs values of at least 0.",
        "Gi* 分析要求数值不小于 0。",
    ),
}
