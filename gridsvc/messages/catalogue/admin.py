"""Messages of what admins do from the command line: the taxonomy file, the database and
its backups, departments and the working-day calendar, synthetic data."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    # --- the taxonomy file (gridsvc.events.taxonomy_file) ---
    "taxonomy.unreadable": m(
        "Cannot read the taxonomy file {name}: {error}.",
        "无法读取事件分类文件 {name}：{error}。",
        "Give the path of a readable UTF-8 JSON or TOML file.",
        "请给出一个可读取的 UTF-8 编码 JSON 或 TOML 文件的路径。",
    ),
    "taxonomy.syntax": m(
        "The taxonomy file {name} is not valid {kind}: {error}",
        "事件分类文件 {name} 不是有效的 {kind}：{error}",
        "Fix the syntax at the position named.",
        "请修改所指位置的语法错误。",
    ),
    "taxonomy.problem": m(
        "Taxonomy {origin}: {problems:items}.",
        "事件分类文件 {origin} 有误：{problems:items}。",
        "Fix the entries named and load the taxonomy again.",
        "请修改所列条目后重新载入。",
    ),
    "taxonomy.problems": m(
        "Taxonomy {origin} has {count} problems: {problems:items}.",
        "事件分类文件 {origin} 有 {count} 处错误：{problems:items}。",
        "Fix the entries named and load the taxonomy again.",
        "请修改所列条目后重新载入。",
    ),
    # --- the database (gridsvc.db) ---
    "db.unavailable": m(
        "The database is not reachable right now; nothing was stored by this request.",
        "暂时无法连接数据库；此次请求没有保存任何内容。",
        "Retry in a moment. Operators: check `gridsvc db status`.",
        "请稍后重试。运维人员请运行 `gridsvc db status` 检查。",
    ),
    "db.busy": m(
        "All {count} database connections stayed busy for {wait_s:g} s.",
        "全部 {count} 个数据库连接在 {wait_s:g} 秒内一直繁忙。",
        "Retry in a moment.",
        "请稍后重试。",
    ),
    "db.timeout": m(
        "The database query took too long and was cancelled.",
        "数据库查询用时过长，已被取消。",
        "Narrow the request (a shorter time range or a smaller area).",
        "请缩小查询范围（更短的时间或更小的区域）。",
    ),
    "db.migration_changed": m(
        "Migration {migration} was changed after it was applied to this database.",
        "数据库迁移 {migration} 在应用到此数据库之后被修改过。",
        "Add a new numbered migration instead of editing a released one; for a throwaway "
        "database, recreate it.",
        "请新增一个编号的迁移，不要修改已发布的迁移；临时数据库可以重新创建。",
    ),
    "db.install": m(
        "Install PostgreSQL (13 or newer) with PostGIS (3.1 or newer). Debian/Ubuntu: `sudo "
        "apt-get install postgresql-15 postgresql-15-postgis-3` (or the versions your release "
        "ships); Fedora/RHEL: `sudo dnf install postgresql-server postgis`; macOS (Homebrew): "
        "`brew install postgresql@15 postgis`. Or set GRIDSVC_PG_BINDIR to the folder holding "
        "initdb and pg_ctl, or GRIDSVC_DATABASE_URL to use a PostGIS server you already run.",
        "请安装 PostgreSQL（13 或更新版本）和 PostGIS（3.1 或更新版本）。Debian/Ubuntu："
        "`sudo apt-get install postgresql-15 postgresql-15-postgis-3`（或您的发行版提供的版本）；"
        "Fedora/RHEL：`sudo dnf install postgresql-server postgis`；macOS（Homebrew）："
        "`brew install postgresql@15 postgis`。也可以把 GRIDSVC_PG_BINDIR 设为 initdb 和 "
        "pg_ctl 所在的文件夹，或把 GRIDSVC_DATABASE_URL 设为已有的 PostGIS 服务器。",
    ),
    "db.no_programs": m(
        "PostgreSQL server programs (initdb, pg_ctl) not found in {where}.",
        "在 {where} 中找不到 PostgreSQL 服务器程序（initdb、pg_ctl）。",
    ),
    "db.programs_default": m(
        "/usr/lib/postgresql/*/bin or PATH",
        "/usr/lib/postgresql/*/bin 或 PATH",
    ),
    "db.no_os_user": m(
        "Running as root, gridsvc starts PostgreSQL as the user '{user}', which does not exist.",
        "以 root 运行时，gridsvc 以用户“{user}”启动 PostgreSQL，但该用户不存在。",
        "Create it (`useradd --system postgres`) or set GRIDSVC_DB_OS_USER to an existing "
        "unprivileged user.",
        "请创建该用户（`useradd --system postgres`），或把 GRIDSVC_DB_OS_USER 设为已有的普通用户。",
    ),
    "db.program_failed": m(
        "`{program}` failed (exit {code}): {output}",
        "`{program}` 运行失败（退出码 {code}）：{output}",
        "See the server log in {log}.",
        "请查看服务器日志 {log}。",
    ),
    "db.no_local": m(
        "No local database under {folder} yet.",
        "{folder} 下还没有本地数据库。",
        "Run `gridsvc db up`.",
        "请运行 `gridsvc db up`。",
    ),
    "db.no_postgis": m(
        "PostgreSQL {major} at {bindir} has no PostGIS.",
        "{bindir} 中的 PostgreSQL {major} 没有安装 PostGIS。",
        "Debian/Ubuntu: `sudo apt-get install postgresql-{major}-postgis-3`. {install}",
        "请安装 PostGIS，Debian/Ubuntu：`sudo apt-get install postgresql-{major}-postgis-3`。"
        "{install}",
    ),
    "db.port_taken": m(
        "Port {port} on 127.0.0.1 is taken by another program.",
        "127.0.0.1 的端口 {port} 已被其他程序占用。",
        "Set GRIDSVC_DB_PORT to a free port, or leave it unset to pick one.",
        "请把 GRIDSVC_DB_PORT 设为空闲的端口，或不设置以自动选择。",
    ),
    # --- backups (gridsvc.db.backup) ---
    "backup.not_postgresql": m(
        "'{scheme}:' is not a PostgreSQL URL.",
        "“{scheme}:”不是 PostgreSQL 地址。",
        "e.g. postgresql://user:pw@host:5432/gridsvc",
        "例如 postgresql://user:pw@host:5432/gridsvc。",
    ),
    "backup.no_tool": m(
        "`{name}` not found.",
        "找不到 `{name}`。",
    ),
    "backup.failed": m(
        "`{program}` failed (exit {code}): {output}",
        "`{program}` 运行失败（退出码 {code}）：{output}",
        "See the message; `gridsvc db status` shows whether the database is reachable.",
        "请查看错误信息；`gridsvc db status` 可查看数据库能否连接。",
    ),
    "backup.version_mismatch": m(
        "pg_dump/pg_restore must be at least as new as the server: install the server's "
        "version of the client programs or set GRIDSVC_PG_BINDIR.",
        "pg_dump、pg_restore 的版本不能低于服务器：请安装与服务器相同版本的客户端程序，"
        "或设置 GRIDSVC_PG_BINDIR。",
    ),
    "backup.no_folder": m(
        "The folder {folder} does not exist.",
        "文件夹 {folder} 不存在。",
    ),
    "backup.no_file": m(
        "No file {path}.",
        "没有文件 {path}。",
    ),
    "backup.not_a_dump": m(
        "{path} is not a gridsvc dump: {output}",
        "{path} 不是 gridsvc 的备份文件：{output}",
        "Restore a file written by `gridsvc db dump` (pg_dump --format=custom).",
        "请恢复由 `gridsvc db dump`（pg_dump --format=custom）生成的文件。",
    ),
    "backup.not_empty": m(
        "The database '{database}' already has {tables} table(s); a restore would mix two "
        "databases.",
        "数据库“{database}”中已有 {tables} 个表；恢复会把两个数据库混在一起。",
        "Restore into a new database (--database NAME), or replace this one with --clean.",
        "请恢复到新的数据库（--database 名称），或用 --clean 替换此数据库。",
    ),
    # --- synthetic events (gridsvc.events.generate), for demos and benchmarks ---
    "generate.weight": m(
        "Category {code}: weight must be finite and >= 0.",
        "类别 {code}：权重应为有限的数，且不小于 0。",
    ),
    "generate.urgency_weights": m(
        "Category {code}: urgency_weights must be three finite numbers >= 0.",
        "类别 {code}：urgency_weights 应为三个不小于 0 的有限数。",
    ),
    "generate.urgency_zero": m(
        "Category {code}: urgency_weights sum to zero.",
        "类别 {code}：urgency_weights 之和为零。",
    ),
    "generate.chunk_rows": m(
        "chunk_rows must be at least 1.",
        "每批行数（chunk_rows）至少为 1。",
    ),
    "generate.count": m("count must be >= 0.", "数量（count）不能小于 0。"),
    "generate.days": m("days must be at least 1.", "天数（days）至少为 1。"),
    "generate.seed": m("seed must be >= 0.", "随机种子（seed）不能小于 0。"),
    "generate.hotspots": m("hotspots must be >= 0.", "热点数（hotspots）不能小于 0。"),
    "generate.shares": m(
        "gcj02_share and bd09_share must be in 0..1 and sum to at most 1.",
        "gcj02_share 和 bd09_share 应在 0 到 1 之间，且两者之和不超过 1。",
    ),
    "generate.naive_end": m(
        "end must be timezone-aware, e.g. 2024-06-01T00:00:00+08:00.",
        "结束时间（end）应带时区，如 2024-06-01T00:00:00+08:00。",
    ),
    "generate.before_year_1": m(
        "The window starts before the year 1: give fewer days.",
        "时间窗口开始于公元 1 年之前：请减少天数。",
    ),
    "generate.plant_unknown": m(
        "Planted community {code} is not a community of the grid.",
        "指定的社区 {code} 不是网格中的社区。",
    ),
    "generate.plant_factor": m(
        "Planted multiplier for {code} must be finite and >= 0.",
        "社区 {code} 的倍数应为有限的数，且不小于 0。",
    ),
    "generate.no_population": m(
        "No community has a positive population (times plant multiplier).",
        "没有人口（乘以倍数后）大于零的社区。",
    ),
    "generate.no_category": m(
        "Give at least one category with a positive weight.",
        "请至少给出一个权重大于零的类别。",
    ),
    "generate.units_columns": m(
        "units lacks the column(s) {missing:list}.",
        "统计单元缺少列：{missing:list}。",
    ),
    "generate.no_communities": m(
        "units has no community-level rows.",
        "统计单元中没有社区层级的行。",
    ),
    "generate.unplaced": m(
        "{count} point(s) could not be placed: a community has no area.",
        "有 {count} 个点无法放置：某个社区没有面积。",
    ),
    "generate.chunk_columns": m(
        "A chunk has columns {columns}; expected {expected}.",
        "一批数据的列为 {columns}，应为 {expected}。",
    ),
}
