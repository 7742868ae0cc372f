"""Messages of handling events (the workflow) and of photos."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    # --- actions on an event (gridsvc.workflow.actions) ---
    "action.unknown": m(
        "Unknown action '{action}'.",
        "没有“{action}”这个操作。",
        "Use one of: {actions:list}.",
        "请使用以下操作之一：{actions:choices}。",
    ),
    "action.needs_note": m(
        "The action '{action}' needs a note saying why.",
        "“{action:term}”需要填写说明（原因）。",
        "Write the reason in the note.",
        "请在说明中写明原因。",
    ),
    "action.role": m(
        "{who} may not '{action}'.",
        "{who}无权执行“{action:term}”。",
        "'{action}' needs a {roles:or} token.",
        "“{action:term}”需要以下角色：{roles:choices}。",
    ),
    "action.not_now": m(
        "Event {event_id} is '{status}': '{action}' is not possible now. Allowed next: {allowed}.",
        "事件 {event_id} 当前为“{status:term}”，现在不能“{action:term}”。接下来可以：{allowed}。",
        "Reload the event to see its current state.",
        "请刷新事件，查看它现在的状态。",
    ),
    "action.next": m("{actions:list}", "{actions:terms}"),
    "action.finished": m("none (the event is finished)", "无（事件已办结）"),
    "action.stale": m(
        "Event {event_id} changed since you read it (version {sent}, now {now}).",
        "事件 {event_id} 在您读取之后已有变化（您读取时为第 {sent} 版，现在是第 {now} 版）。",
        "Reload the event and try again.",
        "请刷新事件后再操作。",
    ),
    "action.needs_department": m(
        "'{action}' needs the department answering.",
        "“{action:term}”需要指明办理的部门。",
    ),
    "action.no_open_dispatch": m(
        "Department '{department}' has no open dispatch on event {event_id}.",
        "部门“{department}”在事件 {event_id} 上没有未办结的派遣。",
    ),
    "action.needs_departments": m(
        "'dispatch' needs one or more departments.",
        "派遣需要至少选择一个部门。",
        "Several departments at once is the street's whistle (吹哨).",
        "可以同时派遣多个部门（街道吹哨、部门报到）。",
    ),
    "action.unknown_departments": m(
        "Unknown department(s): {unknown:list}.",
        "没有这些部门：{unknown:list}。",
        "Known: {known:list}.",
        "现有的部门：{known:list}。",
    ),
    "action.merge_needs_into": m(
        "'merge' needs `into`: the id of the event this one duplicates.",
        "合并需要填写“合并到的事件编号”（into）：即与本事件重复的那个事件。",
    ),
    "action.merge_itself": m(
        "An event cannot be merged into itself.",
        "事件不能合并到它自己。",
    ),
    "action.merge_no_target": m(
        "No event {event_id} to merge into.",
        "没有编号为 {event_id} 的事件可以合并到。",
    ),
    "action.merge_closed_target": m(
        "Event {event_id} is '{status}'; merge into an open event.",
        "事件 {event_id} 当前为“{status:term}”；只能合并到未结的事件。",
    ),
    # --- departments and the working-day calendar (files an admin loads) ---
    "calendar.unit": m(
        "Unknown time unit '{unit}'.",
        "不认识的时间单位“{unit}”。",
        "Use hours, days or working_days.",
        "请使用 hours、days 或 working_days。",
    ),
    "calendar.header": m(
        "The calendar file needs the header date,working[,note].",
        "日历文件的表头应为 date,working[,note]。",
    ),
    "calendar.date": m(
        "Row {row}: '{value}' is not a date (YYYY-MM-DD).",
        "第 {row} 行：“{value}”不是日期（YYYY-MM-DD）。",
    ),
    "calendar.working": m(
        "Row {row}: working must be true or false, not '{value}'.",
        "第 {row} 行：working 应为 true 或 false，不能是“{value}”。",
    ),
    "department.file_shape": m(
        "{origin}: expected an object with a list 'departments'.",
        "{origin}：应为含有 departments 列表的对象。",
    ),
    "department.not_object": m(
        "{origin}: department {number} is not an object.",
        "{origin}：第 {number} 个部门不是对象。",
    ),
    "department.lacks": m(
        "{origin}: department {number} lacks {missing:list}.",
        "{origin}：第 {number} 个部门缺少 {missing:list}。",
    ),
    "department.twice": m(
        "{origin}: department {number}: code '{code}' appears twice.",
        "{origin}：第 {number} 个部门：代码“{code}”重复出现。",
    ),
    "department.categories": m(
        "{origin}: department {number}: categories must be a list of codes.",
        "{origin}：第 {number} 个部门：categories 应为代码列表。",
    ),
    "department.not_json": m(
        "{name} is not valid JSON: {error} (line {line}).",
        "{name} 不是有效的 JSON：第 {line} 行有误（{error}）。",
    ),
    # --- photos (gridsvc.media) ---
    "media.not_a_photo": m(
        "The file is not a photo gridsvc accepts (by its content: {accepted:list}), or it is "
        "larger than {pixels:,} pixels.",
        "文件不是可接收的照片（按内容判断，可接收 {accepted:list}），或超过了 {pixels:,} 像素。",
        "Send a photo taken or saved as JPEG, PNG or WebP.",
        "请发送拍摄或保存为 JPEG、PNG 或 WebP 格式的照片。",
    ),
    "media.damaged": m(
        "The photo is damaged or incomplete and cannot be read.",
        "照片已损坏或不完整，无法读取。",
        "Take or choose the photo again and resend it.",
        "请重新拍摄或选择照片后再发送。",
    ),
    "media.empty": m(
        "The file is empty.",
        "文件是空的。",
        "Attach a photo.",
        "请附上照片。",
    ),
    "media.too_large": m(
        "The photo has {size:,} bytes; at most {limit:,} are accepted.",
        "照片有 {size:,} 字节，最多接收 {limit:,} 字节。",
        "Send it smaller (e.g. at most 1600 px on its longer side, as JPEG).",
        "请发送小一些的照片（如长边不超过 1600 像素的 JPEG）。",
    ),
    "media.bad_id": m(
        "'{value}' is not a photo id.",
        "“{value}”不是照片编号。",
        "Use the url that POST /v1/media returned.",
        "请使用 POST /v1/media 返回的地址。",
    ),
    "media.not_found": m(
        "No photo {media_id}.",
        "没有编号为 {media_id} 的照片。",
    ),
    "media.analyst": m(
        "Photos of reports are not shown to analysts (they may show people).",
        "分析员不能查看上报的照片（照片中可能有人）。",
    ),
    "media.not_visible": m(
        "Photo {media_id}… belongs to no event that {who} may see.",
        "照片 {media_id}… 不属于{who}可以查看的任何事件。",
        "Photos are shown to their sender and to those who handle the event.",
        "照片只向发送者和办理该事件的人员显示。",
    ),
}
