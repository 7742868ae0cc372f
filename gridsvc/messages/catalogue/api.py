"""Messages of the HTTP layer: request validation, unknown paths, size and rate limits."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    # --- request validation (pydantic's error types, in our words) ---
    "validation.missing": m(
        "The {field:named} is missing.",
        "缺少{field:label}。",
        "Fill in the {field:label} and send the request again.",
        "请填写{field:label}后重新提交。",
    ),
    "validation.extra": m(
        "'{field}' is not a field of this request.",
        "“{field}”不是此请求可以填写的项目。",
        "Remove it, or check its spelling.",
        "请删除该项，或检查拼写。",
    ),
    "validation.text": m(
        "The {field:named} must be text.",
        "{field:label}应为文字。",
    ),
    "validation.integer": m(
        "The {field:named} must be a whole number; got {value}.",
        "{field:label}应为整数，收到的是 {value}。",
    ),
    "validation.number": m(
        "The {field:named} must be a number; got {value}.",
        "{field:label}应为数字，收到的是 {value}。",
    ),
    "validation.finite": m(
        "The {field:named} must be a finite number; got {value}.",
        "{field:label}应为有限的数字，收到的是 {value}。",
    ),
    "validation.boolean": m(
        "The {field:named} must be true or false; got {value}.",
        "{field:label}应为 true（是）或 false（否），收到的是 {value}。",
    ),
    "validation.empty": m(
        "The {field:named} is empty.",
        "{field:label}不能为空。",
        "Fill in the {field:label} and send the request again.",
        "请填写{field:label}后重新提交。",
    ),
    "validation.too_short": m(
        "The {field:named} needs at least {min_length} characters.",
        "{field:label}至少需要 {min_length} 个字。",
    ),
    "validation.too_long": m(
        "The {field:named} has {length:,} characters; at most {max_length:,} are allowed.",
        "{field:label}最多 {max_length:,} 个字，现在有 {length:,} 个。",
        "Shorten it and send the request again.",
        "请删减后重新提交。",
    ),
    "validation.few_items": m(
        "The {field:named} needs at least {min_length} item(s).",
        "{field:label}至少需要 {min_length} 项。",
    ),
    "validation.many_items": m(
        "The {field:named} has {length:,} items; at most {max_length:,} are allowed.",
        "{field:label}最多 {max_length:,} 项，现在有 {length:,} 项。",
    ),
    "validation.greater_than": m(
        "The {field:named} must be greater than {limit}; got {value}.",
        "{field:label}应大于 {limit}，收到的是 {value}。",
    ),
    "validation.at_least": m(
        "The {field:named} must be at least {limit}; got {value}.",
        "{field:label}不能小于 {limit}，收到的是 {value}。",
    ),
    "validation.less_than": m(
        "The {field:named} must be less than {limit}; got {value}.",
        "{field:label}应小于 {limit}，收到的是 {value}。",
    ),
    "validation.at_most": m(
        "The {field:named} must be at most {limit}; got {value}.",
        "{field:label}不能大于 {limit}，收到的是 {value}。",
    ),
    "validation.choice": m(
        "The {field:named} must be {choices:or}; got {value}.",
        "{field:label}应为{choices:or}，收到的是 {value}。",
    ),
    "validation.list": m(
        "The {field:named} must be a list.",
        "{field:label}应为列表。",
    ),
    "validation.object": m(
        "The {field:named} must be an object of names and values.",
        "{field:label}应为“名称: 值”形式的对象。",
    ),
    "validation.time": m(
        "The {field:named} is not a date or time; got {value}.",
        "{field:label}不是有效的日期或时间，收到的是 {value}。",
    ),
    "validation.nul": m(
        "The {field:named} contains a NUL (\\u0000) character, which text cannot hold.",
        "{field:label}中含有无法保存的控制字符（NUL）。",
        "Remove the control characters and send the request again.",
        "请删除其中的控制字符后重新提交。",
    ),
    "validation.invalid": m(
        "The {field:named} is not valid; got {value}.",
        "{field:label}的值无效，收到的是 {value}。",
    ),
    "validation.request": m(
        "The request is not valid.",
        "请求的内容有误。",
    ),
    "validation.hint": m(
        "Fix the listed fields and send the request again.",
        "请按提示修改后重新提交。",
    ),
    "validation.json": m(
        "The body is not valid JSON (at character {position}).",
        "请求内容不是有效的 JSON（第 {position} 个字符处有误）。",
        "Send one JSON object, UTF-8, with Content-Type: application/json.",
        "请发送一个 UTF-8 编码的 JSON 对象，并设置 Content-Type: application/json。",
    ),
    # --- what Starlette and FastAPI refuse themselves ---
    "http.unreadable_body": m(
        "The request body could not be read (not JSON, form data or UTF-8 as declared).",
        "无法读取请求内容（与所声明的 JSON、表单或 UTF-8 编码不符）。",
        "Send UTF-8 JSON with Content-Type: application/json, or a file as multipart/form-data.",
        "请以 UTF-8 编码的 JSON 发送（Content-Type: application/json），"
        "文件请以 multipart/form-data 上传。",
    ),
    "http.no_path": m(
        "There is no path {path}.",
        "没有这个地址：{path}。",
        "Check the address; the API's endpoints are listed at /docs.",
        "请检查地址是否正确；接口列表见 /docs。",
    ),
    "http.method": m(
        "This path does not take the method {method}.",
        "此地址不接受 {method} 请求。",
        "The Allow header lists the methods it takes.",
        "可用的请求方法见响应头 Allow。",
    ),
    "http.other": m(
        "The request failed: {status} {phrase}.",
        "请求未能完成：{status} {phrase}。",
        "Check the request and send it again.",
        "请检查请求后重新发送。",
    ),
    "http.nul": m(
        "The request holds text with a NUL (\\u0000) character.",
        "请求中的文字含有无法保存的控制字符（NUL）。",
        "Send text without control characters.",
        "请删除控制字符后重新发送。",
    ),
    "http.unstorable": m(
        "A value in the request cannot be stored (out of range, or a control character or "
        "byte sequence text cannot hold).",
        "请求中有无法保存的值（超出范围，或含有无法保存的控制字符）。",
        "Check the values for control characters and out-of-range numbers.",
        "请检查数值是否超出范围、文字中是否有控制字符。",
    ),
    "http.internal": m(
        "Something went wrong on the server.",
        "服务器出现错误。",
        "Report request id {request_id}.",
        "请将请求编号 {request_id} 告知管理员。",
    ),
    "http.param_nul": m(
        "The parameter {field} holds a NUL (\\u0000) character.",
        "参数{field:label}（{field}）中含有无法保存的控制字符（NUL）。",
        "Send text without control characters.",
        "请删除控制字符后重新发送。",
    ),
    "http.unknown_params": m(
        "Unknown query parameter(s): {unknown:list}.",
        "不认识的查询参数：{unknown:list}。",
        "This endpoint takes: {takes:list}. Check the spelling (the API is described at /docs).",
        "此接口可用的参数：{takes:list}。请检查拼写。",
    ),
    "http.takes_nothing": m(
        "none",
        "无",
    ),
    # --- limits of size and rate (middleware) ---
    "limits.body": m(
        "The request body has {size:,} bytes or more; at most {limit:,} are accepted here.",
        "请求内容至少有 {size:,} 字节，此处最多接受 {limit:,} 字节。",
        "Send less per request (split batches or files).",
        "请减少每次发送的内容（分批发送或拆分文件）。",
    ),
    "limits.failures": m(
        "Too many requests with a missing or invalid token from this address.",
        "此地址发出了过多没有令牌或令牌无效的请求。",
        "Check the token (Authorization: Bearer …) and try again after Retry-After seconds.",
        "请检查令牌（Authorization: Bearer …），并按 Retry-After 的秒数等待后再试。",
    ),
    "limits.rate": m(
        "Too many requests for this token (or address).",
        "此令牌（或地址）的请求过于频繁。",
        "Slow down: wait the seconds in Retry-After, then send again.",
        "请放慢速度：按 Retry-After 的秒数等待后再发送。",
    ),
}
