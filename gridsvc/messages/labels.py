"""The words a form shows for each input field, and for the values people pick.

:data:`FIELDS` covers every field name of the API's inputs (the report body ``EventIn``,
query and path parameters, form fields of imports and uploads, workflow actions, embeds) and
of the import files' columns, and the names gridsvc's errors put in ``field``. The Chinese
words are those the pages show (``web/labels``): a message says 发生时间 where the field page
says 发生时间. :data:`TERMS` are the values: levels, urgencies, sources, roles, statuses,
actions. ``tests/core/test_messages.py`` checks that every input of the API has a label.
"""

from __future__ import annotations

from typing import Final, TypedDict


class Label(TypedDict):
    en: str
    zh: str


def _l(en: str, zh: str) -> Label:
    return {"en": en, "zh": zh}


FIELDS: Final[dict[str, Label]] = {
    # a report (EventIn, and the columns of an import file)
    "client_event_id": _l("report id", "上报编号"),
    "reporter_id": _l("reporter", "上报人"),
    "category": _l("category", "事件类别"),
    "title": _l("title", "标题"),
    "description": _l("description", "情况描述"),
    "occurred_at": _l("time of the event", "发生时间"),
    "reported_at": _l("time of the report", "上报时间"),
    "lon": _l("longitude", "经度"),
    "lat": _l("latitude", "纬度"),
    "crs": _l("coordinate system", "坐标系"),
    "accuracy_m": _l("location accuracy (m)", "定位精度（米）"),
    "source": _l("source", "来源"),
    "urgency": _l("urgency", "紧急程度"),
    "address": _l("address", "地址"),
    "media": _l("photos", "照片"),
    "attributes": _l("extra details", "补充信息"),
    "row_number": _l("row", "行号"),
    # query and path parameters
    "after": _l("page cursor", "翻页位置"),
    "from": _l("start date", "开始日期"),
    "to": _l("end date (not included)", "结束日期（不含）"),
    "date_from": _l("start date", "开始日期"),
    "date_to": _l("end date (not included)", "结束日期（不含）"),
    "base_from": _l("start of the base period", "基期开始"),
    "base_to": _l("end of the base period (not included)", "基期结束（不含）"),
    "flt_base": _l("base period", "对比基期"),
    "flt_current": _l("current period", "当前时期"),
    "bbox": _l("map extent", "地图范围"),
    "by_category": _l("counts by category", "按类别统计"),
    "cell_m": _l("cell size (m)", "网格单元大小（米）"),
    "fdr": _l("false discovery rate correction", "多重检验校正"),
    "format": _l("format", "格式"),
    "geometry": _l("geometry", "几何图形"),
    "grid": _l("grid code", "网格代码"),
    "grid_code": _l("grid code", "网格代码"),
    "code": _l("code", "代码"),
    "hotspots": _l("hot spot layer", "热点图层"),
    "interval": _l("interval", "时间间隔"),
    "k": _l("number of classes", "分级数"),
    "classes": _l("number of classes", "分级数"),
    "level": _l("level", "统计层级"),
    "limit": _l("number of results", "返回条数"),
    "method": _l("method", "方法"),
    "mine": _l("my reports only", "只看我的上报"),
    "overdue": _l("overdue only", "只看超期"),
    "permutations": _l("permutations", "置换次数"),
    "scheme": _l("classification", "分级方法"),
    "seed": _l("random seed", "随机种子"),
    "simplify_m": _l("simplification (m)", "简化容差（米）"),
    "standalone": _l("single file", "单文件"),
    "status": _l("status", "状态"),
    "step": _l("time step", "时间步长"),
    "tiles": _l("base map", "底图"),
    "value": _l("measure", "指标"),
    "values": _l("values", "数值"),
    "alpha": _l("significance level", "显著性水平"),
    "embed_id": _l("embed id", "嵌入地图编号"),
    "event_id": _l("event id", "事件编号"),
    "import_id": _l("import id", "导入编号"),
    "media_id": _l("photo id", "照片编号"),
    "id": _l("id", "编号"),
    "token": _l("link", "链接"),
    "if-none-match": _l("If-None-Match header", "If-None-Match 请求头"),
    "authorization": _l("Authorization header", "Authorization 请求头"),
    # OGC API Features, Open311 GeoReport v2 and vector tiles
    "f": _l("format", "格式"),
    "bbox-crs": _l("coordinate system of the map extent", "地图范围的坐标系"),
    "datetime": _l("time", "时间"),
    "collection_id": _l("collection", "数据集"),
    "feature_id": _l("feature id", "要素编号"),
    "offset": _l("offset", "起始位置"),
    "cursor": _l("page cursor", "翻页位置"),
    "jurisdiction_id": _l("jurisdiction", "辖区编号"),
    "service_code": _l("service code", "诉求类别代码"),
    "service_request_id": _l("service request id", "诉求编号"),
    "start_date": _l("start date", "开始日期"),
    "end_date": _l("end date", "结束日期"),
    "extensions": _l("extensions", "扩展信息"),
    "z": _l("zoom level", "缩放级别"),
    "x": _l("tile column", "瓦片列号"),
    "y": _l("tile row", "瓦片行号"),
    # workflow actions (ActionIn)
    "action": _l("action", "操作"),
    "note": _l("note", "说明"),
    "departments": _l("departments", "派遣部门"),
    "department": _l("department", "部门"),
    "into": _l("event to merge into", "合并到的事件编号"),
    "row_version": _l("version of the event", "事件版本"),
    # imports, uploads, locating
    "file": _l("file", "文件"),
    "encoding": _l("text encoding", "文字编码"),
    "header": _l("header row", "表头"),
    "points": _l("points", "坐标点"),
    "body": _l("request body", "请求内容"),
    "units": _l("units", "统计单元"),
    # embeds (EmbedIn)
    "kind": _l("map type", "地图类型"),
    "params": _l("map settings", "地图参数"),
    "expires_in_days": _l("days valid", "有效天数"),
    "days": _l("days valid", "有效天数"),
    # users and tokens
    "username": _l("user name", "用户名"),
    "password": _l("password", "密码"),
    "display_name": _l("display name", "显示名称"),
    "role": _l("role", "角色"),
    "scope": _l("area of responsibility", "辖区代码"),
    "name": _l("name", "名称"),
    # files read by the CLI (grids, calendars, synthetic data)
    "path": _l("file", "文件"),
    "layer": _l("layer", "图层"),
    "code_field": _l("field of the codes", "代码字段"),
    "name_field": _l("field of the names", "名称字段"),
    "parent_field": _l("field of the parent codes", "上级代码字段"),
    "population_field": _l("field of the population", "人口字段"),
    "parent": _l("parent code", "上级代码"),
    "population": _l("population", "人口"),
    "date": _l("date", "日期"),
    "working": _l("working day", "是否工作日"),
    "count": _l("count", "数量"),
    "chunk_rows": _l("rows per chunk", "每批行数"),
}


TERMS: Final[dict[str, Label]] = {
    # grid levels
    "city": _l("city", "全市"),
    "district": _l("district", "区"),
    "sector": _l("sector", "板块"),
    "street": _l("street", "街道（镇）"),
    "community": _l("community", "社区"),
    "grid": _l("grid", "网格"),
    # urgencies
    "normal": _l("normal", "一般"),
    "urgent": _l("urgent", "紧急"),
    "critical": _l("critical", "特急"),
    # sources of reports
    "public": _l("public", "群众反映"),
    "hotline": _l("hotline", "热线"),
    "video": _l("video", "视频监控"),
    "inspection": _l("inspection", "巡查"),
    "superior": _l("superior", "上级交办"),
    "import": _l("import", "批量导入"),
    # roles (grid_worker is also a source)
    "grid_worker": _l("grid_worker", "网格员"),
    "dispatcher": _l("dispatcher", "调度员"),
    "department": _l("department", "职能部门"),
    "analyst": _l("analyst", "分析员"),
    "admin": _l("admin", "管理员"),
    # event statuses
    "reported": _l("reported", "待受理"),
    "accepted": _l("accepted", "已立案"),
    "rejected": _l("rejected", "不予立案"),
    "dispatched": _l("dispatched", "已派遣"),
    "in_progress": _l("in progress", "处置中"),
    "resolved": _l("resolved", "已办结待核查"),
    "verified": _l("verified", "已核查"),
    "closed": _l("closed", "已结案"),
    "merged": _l("merged", "已合并"),
    # workflow actions
    "accept": _l("accept", "立案"),
    "reject": _l("reject", "不予立案"),
    "dispatch": _l("dispatch", "派遣"),
    "start": _l("start", "开始处置"),
    "resolve": _l("resolve", "办结"),
    "verify": _l("verify", "核查通过"),
    "fail_verification": _l("fail_verification", "核查不通过"),
    "close": _l("close", "结案"),
    "merge": _l("merge", "合并"),
    # time steps and map kinds
    "day": _l("day", "日"),
    "week": _l("week", "周"),
    "month": _l("month", "月"),
    "heatmap": _l("heat map", "热力图"),
    "choropleth": _l("choropleth", "分级设色图"),
    "timeline": _l("timeline", "时间轴热力图"),
    "compare": _l("comparison", "对比图"),
}
