"""Pieces that many messages put together: a grid unit, a caller, the range of dates."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    "common.unit": m("{name} ({code})", "{name}（{code}）"),
    "common.none": m("none", "无"),
    "common.who": m("{role} '{name}' ({where})", "{role:term}“{name}”（{where}）"),
    "common.citywide": m("city", "全市"),
    "dates.range": m("{earliest} to {latest}", "{earliest} 至 {latest}"),
    "dates.out_of_range": m(
        "{field} {value} is outside the dates gridsvc accepts ({range}).",
        "{field:label} {value} 不在可接受的日期范围内（{range}）。",
        "Give a date from {range}, as YYYY-MM-DD (a time with its offset).",
        "请填写 {range} 之间的日期，格式为 YYYY-MM-DD（时间需带时区）。",
    ),
}
