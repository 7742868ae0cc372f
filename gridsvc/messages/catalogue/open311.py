"""Messages of Open311 GeoReport v2 (gridsvc.open311, api/routes/open311.py)."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

_POSITION_HINT = (
    "Send lat and long in WGS-84 degrees, e.g. lat=32.0410&long=118.7840.",
    "请发送 WGS-84 经纬度（度），例如 lat=32.0410&long=118.7840。",
)

MESSAGES: dict[str, Entry] = {
    # --- access and the shape of the request ---
    "open311.no_key": m(
        "Open311 needs an api_key: a gridsvc token.",
        "Open311 接口需要 api_key（gridsvc 令牌）。",
        "Send api_key=<token> in the query or the form, or the header Authorization: Bearer "
        "<token>; an admin creates tokens with `gridsvc token create`.",
        "请在查询参数或表单中发送 api_key=<令牌>，或发送请求头 Authorization: Bearer <令牌>；"
        "令牌由管理员用 `gridsvc token create` 创建。",
    ),
    "open311.unknown_format": m(
        "Unknown format '{format}'.",
        "不支持的格式“{format}”。",
        "End the path in .json or .xml.",
        "请以 .json 或 .xml 结尾。",
    ),
    "open311.no_resource": m(
        "There is no Open311 resource {path}.",
        "没有这个 Open311 地址：{path}。",
        "The endpoints are listed at /docs (the open311 section).",
        "接口列表见 /docs 的 open311 部分。",
    ),
    "open311.method": m(
        "{path} does not take {method}; it takes {allowed:list}.",
        "{path} 不接受 {method} 请求，可用的是 {allowed:list}。",
    ),
    "open311.not_form": m(
        "Send the request as application/x-www-form-urlencoded, the spec's format.",
        "请以 application/x-www-form-urlencoded 表单发送（Open311 规范的格式）。",
    ),
    "open311.unreadable_form": m(
        "The body cannot be read as a form: {error}.",
        "无法按表单读取请求内容：{error}。",
    ),
    "open311.file_field": m(
        "{field} is a file; Open311 fields are text.",
        "{field} 是文件；Open311 的各项应为文字。",
        "Upload a photo with POST /v1/media and send its url as media_url.",
        "照片请先用 POST /v1/media 上传，再把返回的 url 作为 media_url 发送。",
    ),
    "open311.sent_twice": m(
        "{field} was sent {count} times.",
        "{field} 发送了 {count} 次，只能发送一次。",
    ),
    # --- POST requests ---
    "open311.no_service_code": m(
        "service_code was not provided.",
        "缺少 service_code（事件类别）。",
        "Take one from services.json.",
        "请从 services.json 中选择一个。",
    ),
    "open311.group": m(
        "'{code}' ({name}) is a group, not a service.",
        "“{code}”（{name}）是类别组，不是可上报的类别。",
        "Use one of its services: {services:list}.",
        "请使用其下的类别：{services:list}。",
    ),
    "open311.not_a_number": m(
        "{field} '{value}' is not a number.",
        "{field}“{value}”不是数字。",
        *_POSITION_HINT,
    ),
    "open311.half_position": m(
        "{field} is missing: lat and long are sent together.",
        "缺少 {field}：lat 和 long 须同时发送。",
        *_POSITION_HINT,
    ),
    "open311.no_position": m(
        "lat and long are needed: gridsvc assigns a report to its grid by its position, and "
        "none was sent.",
        "需要 lat 和 long：gridsvc 按位置把上报分配到网格，但请求中没有位置。",
        *_POSITION_HINT,
    ),
    "open311.no_geocoding": m(
        "lat and long are needed: gridsvc assigns a report to its grid by its position and "
        "cannot locate an address.",
        "需要 lat 和 long：gridsvc 按位置把上报分配到网格，无法根据地址定位。",
        "Send lat and long in WGS-84 degrees with the address_string.",
        "请在 address_string 之外同时发送 WGS-84 经纬度 lat 和 long。",
    ),
    "open311.one_value": m(
        "attribute[{code}] takes one value; gridsvc has no multivaluelist.",
        "attribute[{code}] 只能有一个值（不支持多选）。",
    ),
    "open311.no_token": m(
        "No request of {who} was sent with client_event_id '{token}'.",
        "{who}没有以 client_event_id“{token}”上报过事件。",
        "A token is the attribute[client_event_id] of a POST made with this api_key.",
        "token 是用同一 api_key 上报时发送的 attribute[client_event_id]。",
    ),
    # --- GET requests ---
    "open311.not_request_id": m(
        "service_request_id '{value}' is not a request id.",
        "“{value}”不是有效的事件编号（service_request_id）。",
        "Send ids as returned by POST requests, comma-separated.",
        "请发送上报时返回的编号，多个编号用逗号分隔。",
    ),
    "open311.too_many_ids": m(
        "{count} service_request_ids; at most {limit} at once.",
        "一次最多查询 {limit} 个事件编号，收到 {count} 个。",
    ),
    "open311.no_request": m(
        "No service request '{value}'.",
        "没有编号为“{value}”的事件。",
    ),
    "open311.end_before_start": m(
        "end_date is before start_date.",
        "end_date 早于 start_date。",
    ),
    "open311.window": m(
        "start_date to end_date spans more than 90 days.",
        "start_date 至 end_date 超过 90 天。",
        "Ask for at most 90 days at a time (the spec's limit).",
        "每次最多查询 90 天（Open311 规范的限制）。",
    ),
}
