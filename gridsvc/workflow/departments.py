"""Departments as data: code, names, and the categories (leaf or group codes) they handle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gridsvc.db.pool import Connection
from gridsvc.errors import InvalidInput
from gridsvc.sql import query


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]

    def handles(self, category: str) -> bool:
        return any(category == c or category.startswith(c + ".") for c in self.categories)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "categories": list(self.categories),
        }


def parse_departments(document: Any, origin: str) -> list[Department]:
    if not isinstance(document, dict) or not isinstance(document.get("departments"), list):
        raise InvalidInput("department.file_shape", origin=origin)
    out: list[Department] = []
    seen: set[str] = set()
    for i, entry in enumerate(document["departments"], start=1):
        where: dict[str, Any] = {"origin": origin, "number": i}
        if not isinstance(entry, dict):
            raise InvalidInput("department.not_object", **where)
        missing = [k for k in ("code", "name_zh", "name_en") if not entry.get(k)]
        if missing:
            raise InvalidInput("department.lacks", missing=missing, **where)
        code = str(entry["code"])
        if code in seen:
            raise InvalidInput("department.twice", code=code, **where)
        seen.add(code)
        cats = entry.get("categories", [])
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise InvalidInput("department.categories", **where)
        out.append(Department(code, str(entry["name_zh"]), str(entry["name_en"]), tuple(cats)))
    return out


def default_departments() -> list[Department]:
    text = (resources.files("gridsvc") / "data" / "departments.json").read_text("utf-8")
    return parse_departments(json.loads(text), "departments.json")


def load_departments_file(path: Path) -> list[Department]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "department.not_json", name=path.name, error=exc.msg, line=exc.lineno
        ) from None
    return parse_departments(document, path.name)


def store_departments(conn: Connection, departments: list[Department]) -> None:
    """Upsert; departments missing from the list are deactivated, never deleted."""
    with conn.cursor() as cur:
        for d in departments:
            cur.execute(
                query("department_upsert"), {**d.to_dict(), "categories": list(d.categories)}
            )
        cur.execute(query("department_deactivate_others"), {"codes": [d.code for d in departments]})


def read_departments(conn: Connection) -> dict[str, Department]:
    with conn.cursor() as cur:
        cur.execute(query("department_all"))
        return {r[0]: Department(r[0], r[1], r[2], tuple(r[3])) for r in cur.fetchall()}
