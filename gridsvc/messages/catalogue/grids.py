"""Messages about grids and coordinates: locating points, coordinate systems, grid versions
and grid files."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

_CRS_HINT = (
    "Pass --crs with the coordinate system the file's coordinates are in, e.g. --crs "
    "EPSG:4490 (CGCS2000 longitude/latitude) or --crs EPSG:4549 (CGCS2000 3-degree "
    "Gauss-Kruger, central meridian 120E).",
    "请用 --crs 指定文件坐标所用的坐标系，如 --crs EPSG:4490（CGCS2000 经纬度）或 "
    "--crs EPSG:4549（CGCS2000 3度带高斯-克吕格投影，中央经线 120°E）。",
)

MESSAGES: dict[str, Entry] = {
    # --- coordinates (gridsvc.crs, gridsvc.service) ---
    "coord.count_mismatch": m(
        "lon and lat must have the same number of values.",
        "经度和纬度的个数应相同。",
        "Send one latitude for each longitude.",
        "请为每个经度提供一个纬度。",
    ),
    "coord.not_finite": m(
        "Coordinate ({lon}, {lat}) is not a finite number.",
        "坐标（{lon}, {lat}）不是有限的数字。",
        "Send lon and lat as decimal degrees, e.g. lon=118.78&lat=32.04.",
        "请以十进制度数发送经纬度，如 lon=118.78&lat=32.04。",
    ),
    "coord.out_of_range": m(
        "Coordinate ({lon}, {lat}) is out of range: lon must be within [-180, 180] and lat "
        "within [-90, 90].",
        "坐标（{lon}, {lat}）超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间。",
        "Send decimal degrees with lon first; check that lon and lat are not swapped.",
        "请以十进制度数发送，经度在前；并检查经纬度是否填反。",
    ),
    "coord.not_degrees": m(
        "The {field:label} must be a number of decimal degrees.",
        "{field:label}应为十进制度数。",
        "Send decimal degrees as numbers, e.g. lon 118.7969, lat 32.0603.",
        "请以数字发送十进制度数，如经度 118.7969、纬度 32.0603。",
    ),
    "coord.range": m(
        "{field:label} {value} is outside -{limit:g}..{limit:g} degrees",
        "{field:label} {value} 超出了 -{limit:g} 到 {limit:g} 度的范围",
    ),
    "coord.not_finite_axis": m(
        "{field:label} must be a finite number of degrees, not {value}",
        "{field:label}应为有限的度数，不能是 {value}",
    ),
    "coord.one": m("{problem:cap}.", "{problem}。"),
    "coord.point": m(
        "Point {index}: {problem} ({count} of {total} points invalid).",
        "第 {index} 个点：{problem}（共 {total} 个点，其中 {count} 个无效）。",
    ),
    "coord.hint_swapped": m(
        "A pair is (lon, lat) in decimal degrees: check they are not swapped.",
        "坐标应为（经度, 纬度）的十进制度数：请检查是否填反。",
    ),
    "coord.hint_real": m(
        "Send a real position; a missing fix must not be sent as NaN or infinity.",
        "请发送实际位置；没有定位结果时，不要发送 NaN 或无穷大。",
    ),
    "coord.unpaired": m(
        "Longitudes and latitudes do not pair up: shapes {lon_shape} and {lat_shape}.",
        "经度和纬度无法一一对应：形状分别为 {lon_shape} 和 {lat_shape}。",
        "Send one latitude for each longitude.",
        "请为每个经度提供一个纬度。",
    ),
    "crs.unknown": m(
        "Unknown coordinate system '{value}'. Accepted values: {accepted:items}.",
        "不认识的坐标系“{value}”。可用的坐标系：{accepted:items}。",
        "Send the system your location SDK reports: 'wgs84' for GPS or the phone's system "
        "location, 'gcj02' for AMap/Gaode or Tencent, 'bd09' for Baidu (bd09ll). Projected "
        "metre coordinates (bd09mc, EPSG:3857) are not accepted.",
        "请发送定位 SDK 给出的坐标系：GPS 或手机系统定位用 'wgs84'，高德、腾讯地图用 "
        "'gcj02'，百度地图用 'bd09'（bd09ll）。不接受以米为单位的投影坐标（bd09mc、EPSG:3857）。",
    ),
    "crs.aliases": m("{name} (also {aliases:list})", "{name}（也可写作 {aliases:list}）"),
    "crs.pyproj_unknown": m(
        "'{value}' is not a coordinate reference system pyproj knows.",
        "“{value}”不是可识别的坐标参考系。",
        *_CRS_HINT,
    ),
    # --- locating points ---
    "locate.outside": m(
        "Point ({lon}, {lat}) in {crs} lies outside every grid of '{version}'. {where}; "
        "points within {snap_m:g} m of a grid are snapped to it.",
        "点（{lon}, {lat}）（{crs}）不在“{version}”的任何网格内。{where}；"
        "距网格 {snap_m:g} 米以内的点会归入该网格。",
    ),
    "locate.nearest": m(
        "The nearest grid is {name} ({code}), {distance_m:,.0f} m away",
        "最近的网格是{name}（{code}），相距 {distance_m:,.0f} 米",
    ),
    "locate.no_grid": m("No grid is loaded", "没有载入任何网格"),
    "locate.check_crs": m(
        "Check the coordinate system (crs=wgs84|cgcs2000|gcj02|bd09) and the position.",
        "请检查坐标系（crs=wgs84|cgcs2000|gcj02|bd09）和位置是否正确。",
    ),
    "locate.swapped": m(
        "lon and lat look swapped: ({lat}, {lon}) falls in {unit} ({code}). Send lon first.",
        "经度和纬度似乎填反了：（{lat}, {lon}）落在{unit}（{code}）。请先填经度、再填纬度。",
    ),
    "locate.too_many": m(
        "{count} points sent; at most {limit} per request.",
        "发送了 {count} 个点，每次最多 {limit} 个。",
        "Split the points into requests of {limit} or fewer.",
        "请分成每次不超过 {limit} 个点的多个请求。",
    ),
    "locate.csv_header": m(
        "The CSV header must have columns lon and lat; it has {fields:list}.",
        "CSV 表头应有 lon（经度）和 lat（纬度）两列，现有的列：{fields:list}。",
        "Write a first line `lon,lat`.",
        "请在第一行写上 `lon,lat`。",
    ),
    # --- grid versions and units ---
    "grid.no_active": m(
        "No grid version is active: no grids are loaded yet.",
        "没有启用的网格版本：还没有载入网格。",
        "Run `gridsvc init` (the Nanjing default grids and the event taxonomy), or "
        "`gridsvc grids load-default`, or import a city's boundaries with `gridsvc grids "
        "import`; the running service picks them up without a restart.",
        "请运行 `gridsvc init`（载入南京默认网格和事件分类），或 `gridsvc grids "
        "load-default`，或用 `gridsvc grids import` 导入城市的边界；运行中的服务无需重启即可使用。",
    ),
    "grid.none_for_import": m(
        "Grids are imported under the communities of the active version; none is active.",
        "网格要导入到启用版本的社区之下，但现在没有启用的版本。",
        "Load or import communities first.",
        "请先载入或导入社区。",
    ),
    "grid.version_not_found": m(
        "No grid version {version_id}.",
        "没有编号为 {version_id} 的网格版本。",
        "See `gridsvc grids list`.",
        "请用 `gridsvc grids list` 查看。",
    ),
    "grid.unknown_code": m(
        "No grid unit has code '{code}' in grid version {version_id} ({version}).",
        "网格版本 {version_id}（{version}）中没有代码为“{code}”的网格单元。",
        "List codes with GET /v1/grids?level=community&geometry=false.",
        "请核对代码；代码列表可用 GET /v1/grids?level=community&geometry=false 查询。",
    ),
    "grid.unknown_level": m(
        "'{value}' is not a grid level.",
        "“{value}”不是网格层级。",
        "Use one of: {levels:list}.",
        "请使用以下层级之一：{levels:choices}。",
    ),
    "grid.level_not_importable": m(
        "Level '{level}' cannot be imported on its own.",
        "层级“{level}”不能单独导入。",
        "Import `community` (streets, sectors and districts are derived from it) or `grid` "
        "(finer grids under the active communities).",
        "请导入 `community`（社区；街道、板块和区由社区生成）或 `grid`（启用版本社区之下的网格）。",
    ),
    "grid.dataset_not_installed": m(
        "The default grid dataset is not installed with this copy of gridsvc.",
        "这份 gridsvc 没有安装默认网格数据集。",
        "Set GRIDSVC_DEFAULT_GRIDS_PATH to gis_data/nanjing_grids.gpkg of a checkout.",
        "请把 GRIDSVC_DEFAULT_GRIDS_PATH 设为源码目录中的 gis_data/nanjing_grids.gpkg。",
    ),
    "grid.dataset_missing": m(
        "Grid dataset {path} not found.",
        "找不到网格数据集 {path}。",
        "Build it with `python gis_data/build.py`.",
        "请用 `python gis_data/build.py` 生成。",
    ),
    # --- grid files (gridsvc.grids.io) ---
    "grid.file_missing": m(
        "The grid file {path} does not exist.",
        "网格文件 {path} 不存在。",
        "Check the path and file name.",
        "请检查路径和文件名。",
    ),
    "grid.unreadable": m(
        "{name} cannot be read as a grid file: {error}",
        "无法把 {name} 作为网格文件读取：{error}",
        "Use GeoJSON, GeoPackage, a zipped Shapefile or GeoParquet.",
        "请使用 GeoJSON、GeoPackage、压缩的 Shapefile 或 GeoParquet。",
    ),
    "grid.bad_zip": m(
        "{name} is not a readable zip file.",
        "{name} 不是可读取的 zip 文件。",
        "Zip the Shapefile's .shp, .shx, .dbf, .prj (and .cpg) files again.",
        "请把 Shapefile 的 .shp、.shx、.dbf、.prj（和 .cpg）文件重新压缩。",
    ),
    "grid.zip_members": m(
        "{name} must hold exactly one .shp, .gpkg or .geojson file; found: {found:list}.",
        "{name} 中应恰好有一个 .shp、.gpkg 或 .geojson 文件，实际找到：{found:list}。",
        "Zip one Shapefile, or pass --layer with the file name (without suffix).",
        "请只压缩一个 Shapefile，或用 --layer 指定文件名（不含扩展名）。",
    ),
    "grid.no_layer": m(
        "{name} has no layer '{layer}'; its layers are: {layers:list}.",
        "{name} 中没有图层“{layer}”；现有图层：{layers:list}。",
        "Pass --layer with one of those names.",
        "请用 --layer 指定其中一个图层。",
    ),
    "grid.which_layer": m(
        "{name} has {count} layers with geometry ({layers:list}); cannot tell which holds "
        "the grid units.",
        "{name} 有 {count} 个含几何图形的图层（{layers:list}），无法判断哪个是网格单元。",
        "Pass --layer with the name of the layer to import.",
        "请用 --layer 指定要导入的图层。",
    ),
    "grid.no_pyarrow": m(
        "Reading GeoParquet needs the pyarrow package, which is not installed.",
        "读取 GeoParquet 需要 pyarrow 软件包，但尚未安装。",
        "Install pyarrow, or convert the file to GeoPackage or GeoJSON.",
        "请安装 pyarrow，或把文件转换为 GeoPackage 或 GeoJSON。",
    ),
    "grid.bad_parquet": m(
        "{name} cannot be read as GeoParquet: {error}",
        "无法把 {name} 作为 GeoParquet 读取：{error}",
        "Check that the file is GeoParquet (a Parquet file with 'geo' metadata).",
        "请确认文件是 GeoParquet（带 'geo' 元数据的 Parquet 文件）。",
    ),
    "grid.no_field": m(
        "{name} has no field '{wanted}'. Its fields are: {available:list}.",
        "{name} 中没有字段“{wanted}”。现有字段：{available:list}。",
        "Pass --{option} with the field that holds the unit {what}.",
        "请用 --{option} 指定存放单元{what:label}的字段。",
    ),
    "grid.no_crs": m(
        "{name} has no coordinate reference system (CRS), so its coordinates cannot be "
        "placed on the map.",
        "{name} 没有坐标参考系（CRS），无法确定其坐标在地图上的位置。",
        *_CRS_HINT,
    ),
    "grid.degrees_metres": m(
        "{name} says its CRS is {crs} (longitude/latitude in degrees), but its coordinates "
        "are outside -180..180 / -90..90: they are probably metres in a projected CRS.",
        "{name} 声明的坐标系是 {crs}（经纬度，单位为度），但坐标超出了 -180..180 / -90..90："
        "很可能是投影坐标系中以米为单位的坐标。",
        *_CRS_HINT,
    ),
    "grid.no_convert": m(
        "{name}'s coordinates do not convert from {crs} to longitude/latitude: the CRS the "
        "file declares is probably wrong.",
        "{name} 的坐标无法从 {crs} 转换为经纬度：文件声明的坐标系可能有误。",
        *_CRS_HINT,
    ),
}
