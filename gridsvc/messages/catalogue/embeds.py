"""Messages of public map embeds: publishing, their parameters, and the links' pages."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    "embed.heat_cells": m(
        "A public heat map needs cells of at least {minimum:g} m; got {value:g}.",
        "公开的热力图网格单元至少为 {minimum:g} 米，收到的是 {value:g}。",
        "Use cell_m=500 or more (the maps for signed-in analysts go finer).",
        "请使用 500 米或更大的网格单元（登录后的分析地图可以更细）。",
    ),
    "embed.option_type": m(
        "{field} must be {kind}; got {value}.",
        "{field:label}应为{kind}，收到的是 {value}。",
    ),
    "embed.type_str": m("text", "文字"),
    "embed.type_int": m("a whole number", "整数"),
    "embed.type_float": m("a number", "数字"),
    "embed.day": m(
        "{field} must be a Beijing day YYYY-MM-DD; got {value}.",
        "{field:label}应为北京时间的日期 YYYY-MM-DD，收到的是 {value}。",
    ),
    "embed.overdue": m(
        "{field} must be true or false; got {value}.",
        "{field:label}应为 true 或 false，收到的是 {value}。",
    ),
    "embed.codes": m(
        "{field} must be codes, comma-separated or as a list; got {value}.",
        "{field:label}应为代码，以逗号分隔或写成列表，收到的是 {value}。",
    ),
    "embed.param_nul": m(
        "{field} contains a NUL character.",
        "{field:label}中含有无法保存的控制字符（NUL）。",
    ),
    "embed.unknown_params": m(
        "A {kind} takes no parameter {unknown:quoted}.",
        "{kind:term}没有参数{unknown:quoted}。",
        "Its parameters: {allowed:list}.",
        "可用的参数：{allowed:list}。",
    ),
    "embed.no_secret": m(
        "The embed signing key could neither be read nor stored.",
        "无法读取或保存嵌入地图的签名密钥。",
        "Retry in a moment.",
        "请稍后重试。",
    ),
    "embed.no_map": m(
        "There is no map at this link.",
        "此链接没有对应的地图。",
        "Check that the link was copied whole; ask whoever shared it for a new one.",
        "请检查链接是否复制完整，或向分享者索取新的链接。",
    ),
    "embed.title_nul": m(
        "The title contains a NUL character.",
        "标题中含有无法保存的控制字符（NUL）。",
    ),
    "embed.title_length": m(
        "A title of 1 to {limit} characters is needed; got {length}.",
        "标题应为 1 到 {limit} 个字，现在是 {length} 个。",
        "It names the map in the page and in the list of embeds.",
        "标题会显示在地图页面和嵌入地图列表中。",
    ),
    "embed.days": m(
        "An embed expires after 1 to {limit} days; got {value}.",
        "嵌入地图的有效期应为 1 到 {limit} 天，收到的是 {value}。",
        "The default is {default}; publish again when it runs out.",
        "默认为 {default} 天；到期后请重新发布。",
    ),
    "embed.not_found": m(
        "No embed {embed_id} that is not revoked already.",
        "没有编号为 {embed_id} 且尚未撤销的嵌入地图。",
        "See GET /v1/embeds or `gridsvc embed list`.",
        "请用 GET /v1/embeds 或 `gridsvc embed list` 查看。",
    ),
    "embed.withdrawn": m(
        "This map was withdrawn by the publisher and is no longer shown.",
        "此地图已被发布者撤回，不再显示。",
        "Ask whoever shared it for a current link.",
        "请向分享者索取现在有效的链接。",
    ),
    "embed.expired": m(
        "This map link expired on {when} (UTC+08:00).",
        "此地图链接已于 {when}（北京时间）过期。",
        "Ask whoever shared it for a new link.",
        "请向分享者索取新的链接。",
    ),
    "embed.page_gone": m("This map link is no longer valid", "此地图链接已失效"),
    "embed.page_missing": m("There is no map at this link", "此链接没有对应的地图"),
}
