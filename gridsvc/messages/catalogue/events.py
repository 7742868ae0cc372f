"""Messages about event reports: the checks of every report (a POST or a row of an import),
imports, categories and their attributes, reading events."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

_FIX = ("Fix this field and send the report again.", "请修改此项后重新提交。")

MESSAGES: dict[str, Entry] = {
    # --- the checks of one report (gridsvc.events.rows): a POST, or a row of an import ---
    "report.fix": m(*_FIX),
    "report.missing": m(
        "{field} is missing; every report needs category, occurred_at, lon and lat.",
        "缺少{field:label}：每条上报都需要事件类别、发生时间和位置（经度、纬度）。",
        *_FIX,
    ),
    "report.nul": m(
        "{field} contains a NUL character (\\0), which text cannot hold.",
        "{field:label}中含有无法保存的控制字符（NUL）。",
        "Remove it; a file with NUL bytes is often UTF-16: save it as UTF-8.",
        "请删除该字符；文件里有这种字符，通常是存成了 UTF-16，请另存为 UTF-8。",
    ),
    "report.too_long": m(
        "{field} is {length} characters long; at most {limit} are allowed.",
        "{field:label}最多 {limit} 个字，现在有 {length} 个。",
        "Shorten it and send the report again.",
        "请删减后重新提交。",
    ),
    "report.unknown_category": m(
        "Unknown category '{value}'. {suggestion}",
        "没有“{value}”这个事件类别。{suggestion}",
        "Choose a category of GET /v1/categories.",
        "请从事件类别列表中选择。",
    ),
    "report.not_a_number": m(
        "{field} '{value}' is not a number; send decimal degrees such as 118.7840.",
        "{field:label}“{value}”不是数字，请填写十进制的度数，如 118.7840。",
        *_FIX,
    ),
    "report.infinite": m(
        "{field} is infinite.",
        "{field:label}不能是无穷大。",
        *_FIX,
    ),
    "report.swapped": m(
        "lon and lat look swapped: the point lies in the city with lat first. Send lon first.",
        "经度和纬度似乎填反了：纬度在前时该点正好在市内。请先填经度、再填纬度。",
        "Send lon first, then lat.",
        "请先填经度、再填纬度。",
    ),
    "report.out_of_range": m(
        "lon/lat out of range: lon must be within [-180, 180] and lat within [-90, 90], lon first.",
        "经纬度超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间，经度在前。",
        *_FIX,
    ),
    "report.time_out_of_range": m(
        "{field} '{value}' is outside the dates gridsvc accepts ({range}).",
        "{field:label}“{value}”不在可接受的日期范围内（{range}）。",
        "Give a time from {range} with its offset, e.g. 2026-11-28T09:30:00+08:00.",
        "请填写 {range} 之间的时间，并带上时区，如 2026-11-28T09:30:00+08:00。",
    ),
    "report.not_iso": m(
        "{field} '{value}' is not an ISO 8601 time, e.g. 2026-11-28T09:30:00+08:00.",
        "{field:label}“{value}”不是有效的时间，应写成 2026-11-28T09:30:00+08:00 这样。",
        *_FIX,
    ),
    "report.no_zone": m(
        "{field} '{value}' has no time zone; add one, e.g. +08:00 for Beijing time.",
        "{field:label}“{value}”缺少时区，请加上时区，如北京时间 +08:00。",
        *_FIX,
    ),
    "report.future": m(
        "{field} '{value}' is in the future (more than {minutes} minutes ahead of the server "
        "clock).",
        "{field:label}“{value}”晚于现在（比服务器时间快了 {minutes} 分钟以上）。",
        "Check the time, and the clock of the phone or computer that sent it.",
        "请检查所填时间，以及手机或电脑的时钟是否准确。",
    ),
    "report.before_occurred": m(
        "reported_at is before occurred_at; an event is reported after it happens.",
        "上报时间早于发生时间：事件应在发生之后上报。",
        *_FIX,
    ),
    "report.unknown_source": m(
        "Unknown source '{value}'; use one of {choices:list}.",
        "没有“{value}”这种来源，请从以下选择：{choices:choices}。",
        *_FIX,
    ),
    "report.unknown_urgency": m(
        "Unknown urgency '{value}'; use one of {choices:list}.",
        "紧急程度“{value}”无效，请从以下选择：{choices:choices}。",
        *_FIX,
    ),
    "report.accuracy": m(
        "{field} must be a number of metres from 0 to 100000.",
        "{field:label}应为 0 到 100000 之间的数（单位：米）。",
        *_FIX,
    ),
    "report.no_reporter": m(
        "{field} is missing.",
        "缺少{field:label}。",
        *_FIX,
    ),
    "report.no_client_id": m(
        "client_event_id is missing; the app sets one per report so a retry is stored once.",
        "缺少上报编号：应用为每条上报生成一个编号，重发时才不会重复保存。",
        *_FIX,
    ),
    "report.id_twice": m(
        "client_event_id '{value}' appears more than once in this batch.",
        "上报编号“{value}”在这批上报中出现了不止一次。",
        "Give each report its own client_event_id.",
        "请为每条上报使用不同的编号。",
    ),
    "report.not_json": m(
        "{field} is not valid JSON: {value}",
        "{field:label}不是有效的 JSON：{value}",
        *_FIX,
    ),
    "report.need_object": m(
        "{field} must be an object.",
        "{field:label}应为“名称: 值”形式的对象。",
        *_FIX,
    ),
    "report.need_list": m(
        "{field} must be a list.",
        "{field:label}应为列表。",
        *_FIX,
    ),
    "report.outside": m(
        "({lon}, {lat}) in {crs} lies outside every grid; the nearest is {nearest}, "
        "{distance_m:,.0f} m away. Check the coordinate system and that lon comes first.",
        "（{lon}, {lat}）（{crs}）不在任何网格内；最近的是{nearest}，相距 {distance_m:,.0f} 米。"
        "请检查坐标系，并确认经度在前。",
        "Check the position on a map and the coordinate system (crs).",
        "请在地图上核对位置，并检查坐标系。",
    ),
    # --- reading and listing events ---
    "event.not_found": m(
        "No event {event_id}.",
        "没有编号为 {event_id} 的事件。",
        "Check the event number.",
        "请核对事件编号。",
    ),
    "event.key_not_found": m(
        "No event of client_event_id '{client_event_id}'.",
        "没有上报编号为“{client_event_id}”的事件。",
    ),
    "event.out_of_scope": m(
        "Event {event_id} is outside the scope of {who}.",
        "事件 {event_id} 不在{who}的辖区内。",
        "Only events in your area of responsibility can be seen or handled.",
        "只能查看和办理本人辖区内的事件。",
    ),
    "event.duplicate": m(
        "client_event_id '{client_event_id}' of reporter '{reporter_id}' was already used for "
        "event {event_id} with different content.",
        "上报人“{reporter_id}”的上报编号“{client_event_id}”已用于内容不同的事件 {event_id}。",
        "Use a new client_event_id for a new report; resend the original unchanged to get "
        "the stored event.",
        "新的上报请使用新的编号；原样重发原来的上报，可取回已保存的事件。",
    ),
    "event.reports_as": m(
        "{who} reports as '{name}', not as '{reporter_id}'.",
        "{who}只能以“{name}”的名义上报，不能以“{reporter_id}”的名义上报。",
        "Leave reporter_id out.",
        "请不要填写上报人（reporter_id）。",
    ),
    "event.not_grid_code": m(
        "'{code}' is not a grid code.",
        "“{code}”不是网格代码。",
        "Use a district (6 digits), street (9), community (12) or grid (15) code, or a "
        "sector code such as S320102.",
        "请填写区（6位）、街道（9位）、社区（12位）或网格（15位）代码，或板块代码（如 S320102）。",
    ),
    "event.time_not_iso": m(
        "{field} '{value}' is not an ISO 8601 time.",
        "{field:label}“{value}”不是有效的时间。",
        "Send a time with its offset, e.g. 2026-11-01T00:00:00+08:00.",
        "请写成 2026-11-01T00:00:00+08:00 这样的时间（带时区）。",
    ),
    "event.time_no_zone": m(
        "{field} '{value}' has no time zone.",
        "{field:label}“{value}”缺少时区。",
        "Add an offset, e.g. +08:00 for Beijing time.",
        "请加上时区，如北京时间 +08:00。",
    ),
    "event.bbox_numbers": m(
        "bbox '{value}' must be four finite numbers.",
        "地图范围“{value}”应为四个有限的数字。",
        "minlon,minlat,maxlon,maxlat, e.g. 118.7,32.0,118.9,32.1",
        "格式为：最小经度,最小纬度,最大经度,最大纬度，如 118.7,32.0,118.9,32.1。",
    ),
    "event.bbox_order": m(
        "bbox '{value}' has its minimum above its maximum.",
        "地图范围“{value}”的最小值大于最大值。",
        "Give the south-west corner first: minlon,minlat,maxlon,maxlat.",
        "请先写西南角：最小经度,最小纬度,最大经度,最大纬度。",
    ),
    "event.bad_cursor": m(
        "{field} '{value}' is not a page cursor that a list gave out (cut short or changed?).",
        "{field:label}“{value}”无法识别，可能被截断或改动过。",
        "Pass the `next` of the page before unchanged, or leave it out for the first page.",
        "请原样使用上一页返回的 next，或不填以查看第一页。",
    ),
    # --- categories (the taxonomy) ---
    "category.unknown": m(
        "Unknown category '{code}'.",
        "没有“{code}”这个事件类别。",
    ),
    "category.choice": m(
        "'{code}' ({name})",
        "{name}（{code}）",
    ),
    "category.did_you_mean": m(
        "Did you mean {choices:or}?",
        "您是否要选：{choices:or}？",
    ),
    "category.use_code": m(
        "Use a category code such as '{example}': a group and a name joined by a dot. The "
        "groups are {groups:list}.",
        "请使用事件类别代码，如“{example}”（大类与小类以点连接）。大类有：{groups:list}。",
    ),
    "category.none_loaded": m(
        "No categories are loaded yet.",
        "还没有载入事件类别。",
    ),
    "category.group": m(
        "'{code}' ({name_zh}) is a group of categories; a report needs one of its "
        "categories: {leaves:list}.",
        "“{name_zh}”（{code}）是大类，上报需选择其中的一个小类：{leaves:list}。",
    ),
    "category.choose": m(
        "Choose the category that fits best.",
        "请选择最合适的小类。",
    ),
    "category.choose_or_other": m(
        "Choose the category that fits best, or '{code}.other'.",
        "请选择最合适的小类，或选“{code}.other”（其他）。",
    ),
    # --- a category's extra attributes (gridsvc.events.attributes) ---
    "attr.not_object": m(
        "attributes must be an object of name: value pairs, not {value}.",
        "补充信息应为“名称: 值”形式的对象，收到的是 {value}。",
    ),
    "attr.unknown": m(
        "Unknown attribute '{key}' for category {code} ({name_zh}).",
        "事件类别“{name_zh}”（{code}）没有“{key}”这一补充信息。",
    ),
    "attr.required": m(
        "Attribute '{name}' ({label_zh}) is required for category {code} ({name_zh}).",
        "“{name_zh}”（{code}）需要填写补充信息“{label_zh}”（{name}）。",
        "Send {name} ({label_zh}) as {expected}.",
        "请填写“{label_zh}”（{name}）：{expected}。",
    ),
    "attr.wrong": m(
        "Attribute '{name}' ({label_zh}) of category {code} must be {expected}; got {value}.",
        "补充信息“{label_zh}”（{name}）应为{expected}，收到的是 {value}（事件类别 {code}）。",
        "Send {name} ({label_zh}) as {expected}.",
        "请填写“{label_zh}”（{name}）：{expected}。",
    ),
    "attr.too_long": m(
        "Attribute '{name}' ({label_zh}) of category {code} is {length} characters long; at "
        "most {limit} are allowed.",
        "补充信息“{label_zh}”（{name}）最多 {limit} 个字，现在有 {length} 个（事件类别 {code}）。",
        "Shorten {name} ({label_zh}) to {limit} characters.",
        "请把“{label_zh}”（{name}）删减到 {limit} 个字以内。",
    ),
    "attr.takes": m(
        "Category {code} takes: {listed:items}.",
        "事件类别 {code} 可填写的补充信息：{listed:items}。",
    ),
    "attr.takes_nothing": m(
        "Category {code} takes no attributes; send an empty object.",
        "事件类别 {code} 没有补充信息，请不要填写。",
    ),
    "attr.field": m(
        "{name} ({label_zh}): {expected}",
        "{label_zh}（{name}）：{expected}",
    ),
    "attr.boolean": m("true or false", "是或否（true 或 false）"),
    "attr.one_of": m("one of {options:list}", "以下之一：{options:list}"),
    "attr.text": m("text of at most {limit} characters", "不超过 {limit} 个字的文字"),
    "attr.integer": m("a whole number", "整数"),
    "attr.number": m("a number", "数字"),
    "attr.between": m("{kind} from {low} to {high}", "{low} 到 {high} 之间的{kind}"),
    "attr.at_least": m("{kind} of at least {low}", "不小于 {low} 的{kind}"),
    "attr.at_most": m("{kind} of at most {high}", "不大于 {high} 的{kind}"),
    # --- imports (gridsvc.events.importer, POST /v1/imports) ---
    "import.unknown_format": m(
        "Unknown import format '{format}'.",
        "不支持的导入格式“{format}”。",
        "Use one of: {formats:list}.",
        "请使用以下格式之一：{formats:list}。",
    ),
    "import.format_of_name": m(
        "Cannot tell the format of '{name}'.",
        "无法判断文件“{name}”的格式。",
        "Name the file .csv, .geojson or .ndjson, or pass the format.",
        "请把文件命名为 .csv、.geojson 或 .ndjson，或指定格式。",
    ),
    "import.unknown_encoding": m(
        "Unknown text encoding '{encoding}'.",
        "不认识的文字编码“{encoding}”。",
        "Use utf-8 (the default) or gbk.",
        "请使用 utf-8（默认）或 gbk。",
    ),
    "import.bad_encoding": m(
        "The file is not valid {encoding} text (byte {position}).",
        "文件不是有效的 {encoding} 文本（第 {position} 个字节处有误）。",
        "Save the file as UTF-8 (Excel: CSV UTF-8), or give its encoding: `--encoding gbk` "
        "on the command line, the form field encoding=gbk in POST /v1/imports.",
        "请把文件另存为 UTF-8（Excel：CSV UTF-8），或指定文件的编码：命令行用 "
        "`--encoding gbk`，POST /v1/imports 用表单字段 encoding=gbk。",
    ),
    "import.empty": m(
        "The file is empty.",
        "文件是空的。",
        "The first line must be the header.",
        "文件第一行应为表头。",
    ),
    "import.header_lacks": m(
        "The header lacks column(s) {missing:list}; it has {columns:list}.",
        "表头缺少列：{missing:list}；现有的列：{columns:list}。",
        "The first line names the columns: at least category, occurred_at, lon, lat.",
        "第一行是列名，至少要有 category（事件类别）、occurred_at（发生时间）、"
        "lon（经度）、lat（纬度）。",
    ),
    "import.not_json": m(
        "The file is not valid JSON: {error} (line {line}, column {column}).",
        "文件不是有效的 JSON：第 {line} 行第 {column} 列附近有误（{error}）。",
    ),
    "import.not_collection": m(
        "A GeoJSON import must be a FeatureCollection.",
        "导入的 GeoJSON 应为 FeatureCollection。",
    ),
    "import.geojson_too_big": m(
        "A GeoJSON import is read whole into memory; this file has {size:,} bytes, more "
        "than {limit:,}.",
        "GeoJSON 文件需要整个读入内存：此文件有 {size:,} 字节，超过了 {limit:,} 字节。",
        "Send large files as NDJSON (one JSON object per line) or CSV: both stream.",
        "大文件请用 NDJSON（每行一个 JSON 对象）或 CSV 格式，这两种格式可以边读边导入。",
    ),
    "import.binary": m(
        "The file is not text: it holds a NUL byte at byte {position:,} (a binary file, an "
        "archive, or text saved as UTF-16).",
        "文件不是文本：第 {position:,} 个字节是 NUL（可能是二进制文件、压缩包，"
        "或存成了 UTF-16 的文本）。",
        "Save it as UTF-8 CSV (Excel: CSV UTF-8), GeoJSON or NDJSON.",
        "请另存为 UTF-8 的 CSV（Excel：CSV UTF-8）、GeoJSON 或 NDJSON。",
    ),
    "import.too_large": m(
        "The file has {size:,} bytes; at most {limit:,} are accepted.",
        "文件有 {size:,} 字节，最多接受 {limit:,} 字节。",
        "Split the file.",
        "请拆分文件后分别导入。",
    ),
    "import.not_found": m(
        "No import {import_id}.",
        "没有编号为 {import_id} 的导入。",
    ),
    # the rows of an import refused before their checks
    "import.malformed_csv": m(
        "Malformed CSV: {error}.",
        "CSV 格式有误：{error}。",
    ),
    "import.empty_row": m("Empty row.", "空行。"),
    "import.row_width": m(
        "The row has {count} fields; the header has {width}.",
        "这一行有 {count} 列，表头有 {width} 列。",
    ),
    "import.malformed_json": m(
        "Malformed JSON: {error} at column {column}.",
        "JSON 格式有误：第 {column} 列附近（{error}）。",
    ),
    "import.line_not_object": m(
        "Each line must be a JSON object.",
        "每一行都应是一个 JSON 对象。",
    ),
    "import.not_feature": m(
        "Each item of features must be a GeoJSON Feature.",
        "features 中的每一项都应是 GeoJSON Feature。",
    ),
    "import.not_point": m(
        "Geometry must be a Point, not {kind}.",
        "几何图形应为点（Point），不能是 {kind}。",
    ),
    "import.point_coordinates": m(
        "Point coordinates must be [lon, lat].",
        "点的坐标应为 [经度, 纬度]。",
    ),
    "import.id_earlier": m(
        "client_event_id '{value}' appears earlier in this file.",
        "上报编号“{value}”在此文件前面已经出现过。",
    ),
    "import.id_used": m(
        "client_event_id '{value}' is already used by event {event_id} with different content.",
        "上报编号“{value}”已被内容不同的事件 {event_id} 使用。",
    ),
}
