"""Words of the OGC API Features pages (``/ogc?f=html``)."""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    "ogc_title": "开放数据接口 (OGC API - Features)",
    "ogc_intro": "GIS 软件 (QGIS、ArcGIS、GDAL) 可以直接连接下面的地址读取网格和事件。",
    "ogc_collections": "数据集合",
    "ogc_conformance": "符合的标准",
    "ogc_api_definition": "API 定义 (OpenAPI)",
    "ogc_api_docs": "API 文档",
    "ogc_json": "JSON 格式",
    "ogc_id": "标识",
    "ogc_name": "名称",
    "ogc_description": "说明",
    "ogc_items": "要素",
    "ogc_items_html": "浏览要素",
    "ogc_items_geojson": "下载 GeoJSON",
    "ogc_extent": "范围 (经纬度)",
    "ogc_crs": "可用坐标系",
    "ogc_returned": "本页 {n} 个要素",
    "ogc_matched": "共 {n} 个",
    "ogc_next": "下一页",
    "ogc_map": "本页要素地图",
    "ogc_no_features": "没有符合条件的要素。",
    "ogc_back": "返回集合",
    "ogc_qgis_howto": "在 QGIS 中使用：图层 → 添加图层 → 添加 WFS / OGC API - Features 图层，"
    "地址填本页地址，认证选“基本”，密码填您的令牌。",
}
