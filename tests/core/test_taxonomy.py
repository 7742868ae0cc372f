"""The event taxonomy: the shipped default, strict file validation, attribute checks, and
storage in the category table."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gridsvc.errors import InvalidInput, UnknownCategory
from gridsvc.events.attributes import validate_attributes
from gridsvc.events.taxonomy import Category, Taxonomy
from gridsvc.events.taxonomy_db import read_taxonomy, store_taxonomy
from gridsvc.events.taxonomy_file import default_taxonomy, load_taxonomy_file, parse_taxonomy
from gridsvc.service import Gridsvc

CJK = re.compile(r"[\u4e00-\u9fff]")

# What the city's 2020 report names, as groups and the leaves the brief asks for.
EXPECTED_GROUPS = {
    "public_security": "治安",
    "hazard": "安全隐患",
    "dispute": "矛盾纠纷",
    "illegal_finance": "非法金融",
    "environment": "城市环境",
    "public_service": "公共服务",
}
EXPECTED_LEAVES = {
    "hazard.fire": "消防",
    "hazard.gas": "燃气",
    "hazard.work_safety": "安全生产",
    "hazard.building": "房屋建筑",
    "hazard.traffic": "道路交通",
    "hazard.ebike_charging": "电动自行车",
    "hazard.old_housing": "老旧小区",
    "dispute.neighbour": "邻里",
    "dispute.property_management": "物业",
    "dispute.labour": "劳资",
    "dispute.family": "婚姻家庭",
    "dispute.land": "土地",
}


# --- the default taxonomy ------------------------------------------------------------------


def test_default_covers_every_kind_the_report_names() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.version and taxonomy.source and "南京" in taxonomy.source
    groups = {c.code: c for c in taxonomy.groups()}
    assert set(groups) == set(EXPECTED_GROUPS)
    for code, word in EXPECTED_GROUPS.items():
        assert word in groups[code].name_zh, code
        assert groups[code].parent_code is None and groups[code].is_group
        assert taxonomy.children(code), f"group {code} has no leaves"
    for code, word in EXPECTED_LEAVES.items():
        leaf = taxonomy.get(code)
        assert word in leaf.name_zh, code
        assert leaf.leaf and not leaf.is_group and leaf.parent_code == code.split(".")[0]


def test_default_names_are_chinese_and_english_and_codes_are_stable_ascii() -> None:
    taxonomy = default_taxonomy()
    assert len(taxonomy) == len({c.code for c in taxonomy}) >= 30
    for c in taxonomy:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?", c.code)
        assert CJK.search(c.name_zh), c.code
        assert c.name_en.isascii() and c.name_en[0].isupper(), c.code
        assert c.default_urgency in ("normal", "urgent", "critical")
        assert c.dedupe_radius_m > 0 and c.dedupe_window_h > 0


def test_default_sensitive_and_fields_as_documented() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.get("dispute.family").sensitive is True
    assert taxonomy.get("dispute.labour").sensitive is False
    assert taxonomy.get("hazard.fire").sensitive is False

    def types(code: str) -> dict[str, str]:
        return {f.name: f.type for f in taxonomy.get(code).fields}

    assert types("hazard.fire") == {"blocked_exit": "boolean", "floor": "integer"}
    assert types("hazard.gas")["smell_reported"] == "boolean"
    assert types("hazard.ebike_charging") == {"indoor": "boolean", "count": "integer"}
    assert types("dispute.labour") == {"workers_involved": "integer", "amount_yuan": "number"}
    assert taxonomy.get("hazard.fire").default_urgency == "urgent"


def test_inherited_values_come_from_the_group_then_the_defaults() -> None:
    taxonomy = default_taxonomy()
    family = taxonomy.get("dispute.family")
    # the dispute group sets its own limits and dedupe settings; the leaf inherits them
    assert family.time_limits == taxonomy.get("dispute").time_limits
    assert family.time_limits.normal.resolve.value == 10
    assert (family.dedupe_radius_m, family.dedupe_window_h) == (50, 168)
    # hazard.fire sets nothing: the file's defaults (the brief's figures)
    fire = taxonomy.get("hazard.fire")
    assert fire.time_limits.to_dict() == {
        "accept_hours": {"normal": 24, "urgent": 4, "critical": 1},
        "resolve": {
            "normal": {"value": 5, "unit": "working_days"},
            "urgent": {"value": 24, "unit": "hours"},
            "critical": {"value": 4, "unit": "hours"},
        },
    }
    assert fire.time_limits.for_urgency("critical").accept_hours == 1
    assert (fire.dedupe_radius_m, fire.dedupe_window_h) == (100, 72)


def test_display_order_puts_each_group_before_its_leaves() -> None:
    codes = [c.code for c in default_taxonomy()]
    assert codes[0] == "public_security" and codes[1].startswith("public_security.")
    for i, code in enumerate(codes):
        if "." in code:
            assert codes[i - 1].split(".")[0] == code.split(".")[0]
    # "other" comes last within each group
    assert [c.code for c in default_taxonomy().children("hazard")][-1] == "hazard.other"


def test_lookup_children_and_codes_under() -> None:
    taxonomy = default_taxonomy()
    assert "hazard.fire" in taxonomy and "hazard.nope" not in taxonomy
    under = taxonomy.codes_under("dispute")
    assert under == tuple(c.code for c in taxonomy.children("dispute"))
    assert "dispute.family" in under and "dispute" not in under
    assert taxonomy.codes_under("dispute.family") == ("dispute.family",)
    assert taxonomy.children("dispute.family") == ()
    assert {c.code for c in taxonomy.leaves()} == {
        code for g in taxonomy.groups() for code in taxonomy.codes_under(g.code)
    }


def test_unknown_code_raises_unknown_category_with_a_suggestion() -> None:
    taxonomy = default_taxonomy()
    with pytest.raises(UnknownCategory) as caught:
        taxonomy.get("hazard.fier")
    assert caught.value.field == "category"
    assert caught.value.message == "Unknown category 'hazard.fier'."
    assert caught.value.hint is not None and "'hazard.fire'" in caught.value.hint
    assert isinstance(caught.value, InvalidInput)
    with pytest.raises(UnknownCategory):
        taxonomy.codes_under("nothing")
    assert "'hazard.fire'" in taxonomy.suggest("消防")
    assert "'dispute.labour'" in taxonomy.suggest("劳资纠纷")
    assert "groups are public_security, hazard" in taxonomy.suggest("zzz")


def test_a_group_is_refused_where_a_leaf_is_needed() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.get_leaf("hazard.gas").code == "hazard.gas"
    with pytest.raises(InvalidInput) as caught:
        taxonomy.get_leaf("hazard")
    assert caught.value.field == "category"
    assert "'hazard' (安全隐患) is a group" in caught.value.message
    assert "hazard.fire" in caught.value.message
    assert caught.value.hint is not None and "'hazard.other'" in caught.value.hint


def test_category_to_dict_is_the_api_shape() -> None:
    body = default_taxonomy().get("hazard.gas").to_dict()
    assert list(body) == [
        "code",
        "parent_code",
        "name_zh",
        "name_en",
        "default_urgency",
        "sensitive",
        "fields",
        "time_limits",
        "dedupe_radius_m",
        "dedupe_window_h",
    ]
    assert body["code"] == "hazard.gas" and body["parent_code"] == "hazard"
    assert body["fields"][0] == {
        "name": "smell_reported",
        "type": "boolean",
        "label_zh": "是否闻到燃气味",
        "required": False,
    }
    assert body["fields"][1]["choices"] == ["pipeline", "bottled_lpg", "other"]
    assert body["fields"][1]["choice_labels_zh"]["pipeline"] == "管道燃气"
    json.dumps(body)  # JSON-ready


def test_taxonomy_to_dict_reads_back_equal(tmp_path: Path) -> None:
    taxonomy = default_taxonomy()
    path = tmp_path / "again.json"
    path.write_text(json.dumps(taxonomy.to_dict(), ensure_ascii=False), "utf-8")
    again = load_taxonomy_file(path)
    assert again == taxonomy
    assert [c.to_dict() for c in again] == [c.to_dict() for c in taxonomy]


def test_the_default_file_is_the_file_that_ships() -> None:
    shipped = Path(__file__).parents[2] / "gridsvc" / "data" / "categories.json"
    assert load_taxonomy_file(shipped) == default_taxonomy()


def test_toml_files_load_like_json(tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        """
version = "t1"
source = "test"

[[categories]]
code = "hazard"
name_zh = "安全隐患"
name_en = "Safety hazards"
dedupe_radius_m = 30

[[categories]]
code = "hazard.fire"
parent_code = "hazard"
name_zh = "消防安全隐患"
name_en = "Fire safety hazard"
default_urgency = "urgent"

[[categories.fields]]
name = "floor"
type = "integer"
label_zh = "楼层"
min = -5
max = 200
""",
        "utf-8",
    )
    taxonomy = load_taxonomy_file(path)
    fire = taxonomy.get("hazard.fire")
    assert [c.code for c in taxonomy] == ["hazard", "hazard.fire"]
    assert fire.default_urgency == "urgent" and fire.dedupe_radius_m == 30
    assert fire.fields[0].name == "floor" and fire.fields[0].required is False
    assert (fire.fields[0].min, fire.fields[0].max) == (-5, 200)


# --- malformed files -----------------------------------------------------------------------


def _small() -> dict[str, Any]:
    return {
        "version": "t1",
        "categories": [
            {
                "code": "hazard",
                "parent_code": None,
                "name_zh": "安全隐患",
                "name_en": "Safety hazards",
            },
            {
                "code": "hazard.fire",
                "parent_code": "hazard",
                "name_zh": "消防安全隐患",
                "name_en": "Fire safety hazard",
                "fields": [{"name": "floor", "type": "integer", "label_zh": "楼层"}],
            },
            {"code": "dispute", "parent_code": None, "name_zh": "矛盾纠纷", "name_en": "Disputes"},
            {
                "code": "dispute.family",
                "parent_code": "dispute",
                "name_zh": "婚姻家庭纠纷",
                "name_en": "Family dispute",
                "sensitive": True,
            },
        ],
    }


def _load(tmp_path: Path, document: Any) -> Taxonomy:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return load_taxonomy_file(path)


def _error(tmp_path: Path, document: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        _load(tmp_path, document)
    return caught.value


def test_the_small_file_is_valid(tmp_path: Path) -> None:
    taxonomy = _load(tmp_path, _small())
    assert [c.code for c in taxonomy] == ["dispute", "dispute.family", "hazard", "hazard.fire"]
    assert taxonomy.version == "t1" and taxonomy.source is None


def test_duplicate_code(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"].append(copy.deepcopy(doc["categories"][1]))
    err = _error(tmp_path, doc)
    assert err.message == (
        "Taxonomy bad.json: categories[4] (hazard.fire): duplicate code; it is already "
        "defined at categories[1]."
    )
    assert err.details["problems"] == [
        "categories[4] (hazard.fire): duplicate code; it is already defined at categories[1]"
    ]
    assert err.hint


def test_missing_parent(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"].append(
        {
            "code": "finance.loan",
            "parent_code": "finance",
            "name_zh": "套路贷",
            "name_en": "Trap loan",
        }
    )
    assert _error(tmp_path, doc).message == (
        "Taxonomy bad.json: categories[4] (finance.loan): parent_code 'finance' is not "
        "defined in this taxonomy."
    )


def test_bad_urgency(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"][1]["default_urgency"] = "high"
    assert _error(tmp_path, doc).message == (
        'Taxonomy bad.json: categories[1] (hazard.fire): default_urgency "high" is not one '
        "of normal, urgent, critical."
    )


def test_leaf_not_under_its_parent(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"].append(
        {
            "code": "hazard.gas",
            "parent_code": "dispute",
            "name_zh": "燃气安全隐患",
            "name_en": "Gas safety hazard",
        }
    )
    assert _error(tmp_path, doc).message == (
        "Taxonomy bad.json: categories[4] (hazard.gas): code 'hazard.gas' is not under "
        "its parent: a leaf of 'dispute' needs a code 'dispute.<name>' (lowercase ASCII "
        "letters, digits and _)."
    )


def test_bad_field_type(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"][1]["fields"][0]["type"] = "int"
    assert _error(tmp_path, doc).message == (
        'Taxonomy bad.json: categories[1] (hazard.fire) fields[0] (floor): type "int" is not '
        "one of integer, number, string, boolean, enum."
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["categories"][0].update(code="Hazard"),
            "categories[0] (Hazard): a group code must be lowercase ASCII letters",
        ),
        (
            lambda d: d["categories"][1].update(code="hazard.fire.exit", parent_code="hazard.fire"),
            "parent_code 'hazard.fire' is not a group code; categories are two levels deep",
        ),
        (
            lambda d: d["categories"].append(
                {"code": "hazard.gas", "name_zh": "燃气", "name_en": "Gas"}
            ),
            "a group code must be lowercase ASCII letters, digits and _, starting with a letter, "
            "without a dot; a leaf needs parent_code 'hazard'",
        ),
        (
            lambda d: d["categories"].append(
                {"code": "finance", "name_zh": "非法金融", "name_en": "Illegal finance"}
            ),
            "categories[4] (finance): group has no categories under it",
        ),
        (
            lambda d: d["categories"][1].update(colour="red"),
            "categories[1] (hazard.fire): unknown key colour; allowed: code, dedupe_radius_m",
        ),
        (
            lambda d: d["categories"][1].pop("name_en"),
            "categories[1] (hazard.fire): name_en is missing",
        ),
        (
            lambda d: d["categories"][3].update(sensitive="yes"),
            'sensitive must be true or false, not "yes"',
        ),
        (
            lambda d: d["categories"][1].update(dedupe_radius_m=-1),
            "dedupe_radius_m must be a number from 0 to 10000, not -1",
        ),
        (
            lambda d: d["categories"][1]["fields"][0].update(type="enum"),
            "fields[0] (floor): an enum field needs choices",
        ),
        (
            lambda d: d["categories"][1]["fields"][0].update(min=5, max=1),
            "fields[0] (floor): min (5) is greater than max (1)",
        ),
        (
            lambda d: d["categories"][1]["fields"][0].update(min=0.5),
            "fields[0] (floor): min must be a whole number, not 0.5",
        ),
        (
            lambda d: d["categories"][1]["fields"][0].update(max_length=10),
            "fields[0] (floor): max_length is only for string fields, not integer",
        ),
        (
            lambda d: d["categories"][1]["fields"][0].update(required="no"),
            "fields[0] (floor): required must be true or false",
        ),
        (
            lambda d: d["categories"][1]["fields"].append(
                {"name": "floor", "type": "integer", "label_zh": "楼层"}
            ),
            "fields[1] (floor): duplicate field name",
        ),
        (
            lambda d: d["categories"][1]["fields"].append(
                {"name": "Exit", "type": "boolean", "label_zh": "出口"}
            ),
            'fields[1]: name "Exit" must be lowercase ASCII',
        ),
        (
            lambda d: d["categories"][1]["fields"].append(
                {
                    "name": "kind",
                    "type": "enum",
                    "label_zh": "类型",
                    "choices": ["a", "b"],
                    "choice_labels_zh": {"a": "甲"},
                }
            ),
            "fields[1] (kind): choice_labels_zh must give one non-empty label for each choice",
        ),
        (
            lambda d: d["categories"][0].update(time_limits={"accept_hours": {"normal": 1}}),
            "categories[0] (hazard) time_limits: resolve must be an object with exactly the keys "
            "normal, urgent, critical",
        ),
        (
            lambda d: d["categories"][0].update(
                time_limits={
                    "accept_hours": {"normal": 2, "urgent": 4, "critical": 1},
                    "resolve": {
                        u: {"value": 1, "unit": "hours"} for u in ("normal", "urgent", "critical")
                    },
                }
            ),
            "accept_hours.urgent (4) is longer than accept_hours.normal (2)",
        ),
        (
            lambda d: d["categories"][0].update(
                time_limits={
                    "accept_hours": {"normal": 2, "urgent": 1, "critical": 1},
                    "resolve": {
                        u: {"value": 1, "unit": "weeks"} for u in ("normal", "urgent", "critical")
                    },
                }
            ),
            'resolve.normal must be {"value": a number above 0, "unit": one of hours, days, '
            "working_days}",
        ),
        (lambda d: d.pop("version"), "file: version is missing"),
        (lambda d: d.update(categories=[]), "file: categories must be a non-empty list"),
    ],
)
def test_other_problems_name_the_entry(tmp_path: Path, change: Any, problem: str) -> None:
    doc = _small()
    change(doc)
    err = _error(tmp_path, doc)
    assert problem in err.message, err.message
    assert err.message.startswith("Taxonomy bad.json")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = _small()
    doc["categories"][1]["default_urgency"] = "high"
    doc["categories"][3]["fields"] = [{"name": "x", "type": "float", "label_zh": "x"}]
    err = _error(tmp_path, doc)
    assert err.message.startswith("Taxonomy bad.json has 2 problems: ")
    assert err.details["problems"] == [
        'categories[1] (hazard.fire): default_urgency "high" is not one of normal, urgent, '
        "critical",
        'categories[3] (dispute.family) fields[0] (x): type "float" is not one of integer, '
        "number, string, boolean, enum",
    ]


def test_syntax_errors_and_duplicate_keys_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": "1", "version": "2", "categories": []}', "utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON: key 'version' appears twice"):
        load_taxonomy_file(path)
    path.write_text('{"version": ', "utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        load_taxonomy_file(path)
    toml = tmp_path / "broken.toml"
    toml.write_text("version = ", "utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_taxonomy_file(toml)
    with pytest.raises(InvalidInput, match=r"Cannot read the taxonomy file missing\.json"):
        load_taxonomy_file(tmp_path / "missing.json")


def test_parse_taxonomy_refuses_a_non_object() -> None:
    with pytest.raises(InvalidInput, match=r"Taxonomy x: file: must be an object"):
        parse_taxonomy(["hazard"], origin="x")


# --- attributes of a report ----------------------------------------------------------------


def _cat(code: str) -> Category:
    return default_taxonomy().get(code)


def test_good_attributes_are_normalised() -> None:
    assert validate_attributes(_cat("hazard.fire"), {"floor": 3, "blocked_exit": True}) == {
        "blocked_exit": True,
        "floor": 3,
    }
    assert validate_attributes(_cat("hazard.fire"), {}) == {}
    out = validate_attributes(
        _cat("dispute.labour"), {"workers_involved": 12.0, "amount_yuan": 35000}
    )
    assert out == {"workers_involved": 12, "amount_yuan": 35000.0}
    assert type(out["workers_involved"]) is int and type(out["amount_yuan"]) is float
    # enum by code, by Chinese label or in another case; blank optional text left out
    gas = _cat("hazard.gas")
    assert validate_attributes(gas, {"gas_supply": "pipeline"}) == {"gas_supply": "pipeline"}
    assert validate_attributes(gas, {"gas_supply": "管道燃气"}) == {"gas_supply": "pipeline"}
    assert validate_attributes(gas, {"gas_supply": "Bottled_LPG"}) == {"gas_supply": "bottled_lpg"}
    assert validate_attributes(gas, {"gas_supply": None, "smell_reported": False}) == {
        "smell_reported": False
    }
    work = _cat("hazard.work_safety")
    assert validate_attributes(work, {"enterprise_name": "  某某化工厂 "}) == {
        "enterprise_name": "某某化工厂"
    }
    assert validate_attributes(work, {"enterprise_name": "  "}) == {}
    assert validate_attributes(_cat("hazard.ebike_charging"), {"indoor": False}) == {
        "indoor": False
    }


@pytest.mark.parametrize(
    ("code", "attributes", "field", "message"),
    [
        (
            "hazard.fire",
            {"colour": "red"},
            "attributes.colour",
            "Unknown attribute 'colour' for category hazard.fire (消防安全隐患).",
        ),
        (
            "hazard.ebike_charging",
            {"count": 3},
            "attributes.indoor",
            "Attribute 'indoor' (是否在室内或楼道内充电) is required for category "
            "hazard.ebike_charging (电动自行车违规充电).",
        ),
        (
            "hazard.ebike_charging",
            {"indoor": None},
            "attributes.indoor",
            "Attribute 'indoor' (是否在室内或楼道内充电) is required for category "
            "hazard.ebike_charging (电动自行车违规充电).",
        ),
        (
            "hazard.fire",
            {"floor": "3"},
            "attributes.floor",
            "Attribute 'floor' (楼层（地下为负数）) of category hazard.fire must be a whole number "
            'from -5 to 200; got "3".',
        ),
        (
            "hazard.fire",
            {"floor": True},
            "attributes.floor",
            "Attribute 'floor' (楼层（地下为负数）) of category hazard.fire must be a whole number "
            "from -5 to 200; got true.",
        ),
        (
            "hazard.fire",
            {"floor": 2.5},
            "attributes.floor",
            "Attribute 'floor' (楼层（地下为负数）) of category hazard.fire must be a whole number "
            "from -5 to 200; got 2.5.",
        ),
        (
            "hazard.fire",
            {"floor": 201},
            "attributes.floor",
            "Attribute 'floor' (楼层（地下为负数）) of category hazard.fire must be a whole number "
            "from -5 to 200; got 201.",
        ),
        (
            "hazard.fire",
            {"blocked_exit": 1},
            "attributes.blocked_exit",
            "Attribute 'blocked_exit' (消防通道或安全出口是否被堵塞) of category hazard.fire "
            "must be true or false; got 1.",
        ),
        (
            "dispute.labour",
            {"amount_yuan": -5},
            "attributes.amount_yuan",
            "Attribute 'amount_yuan' (涉及金额（元）) of category dispute.labour must be a number "
            "from 0 to 1000000000; got -5.",
        ),
        (
            "dispute.labour",
            {"amount_yuan": float("nan")},
            "attributes.amount_yuan",
            "Attribute 'amount_yuan' (涉及金额（元）) of category dispute.labour must be a number "
            "from 0 to 1000000000; got NaN.",
        ),
        (
            "hazard.gas",
            {"gas_supply": "coal"},
            "attributes.gas_supply",
            "Attribute 'gas_supply' (燃气类型) of category hazard.gas must be one of pipeline "
            '(管道燃气), bottled_lpg (瓶装液化石油气), other (其他); got "coal".',
        ),
        (
            "hazard.work_safety",
            {"enterprise_name": "厂" * 101},
            "attributes.enterprise_name",
            "Attribute 'enterprise_name' (企业或单位名称) of category hazard.work_safety is 101 "
            "characters long; at most 100 are allowed.",
        ),
        (
            "hazard.work_safety",
            {"enterprise_name": 7},
            "attributes.enterprise_name",
            "Attribute 'enterprise_name' (企业或单位名称) of category hazard.work_safety must be "
            "text of at most 100 characters; got 7.",
        ),
    ],
)
def test_bad_attributes_name_the_field_value_and_expectation(
    code: str, attributes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_attributes(_cat(code), attributes)
    assert caught.value.field == field
    assert caught.value.message == message
    assert caught.value.hint


def test_unknown_attribute_hint_lists_what_the_category_takes() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_attributes(_cat("hazard.fire"), {"storey": 3})
    assert caught.value.hint == (
        "Category hazard.fire takes: blocked_exit (消防通道或安全出口是否被堵塞): true or false; "
        "floor (楼层（地下为负数）): a whole number from -5 to 200."
    )
    with pytest.raises(InvalidInput) as caught:
        validate_attributes(_cat("public_security.other"), {"x": 1})
    assert caught.value.hint == (
        "Category public_security.other takes no attributes; send an empty object."
    )
    with pytest.raises(InvalidInput) as caught:
        validate_attributes(_cat("hazard.fire"), ["floor"])  # type: ignore[arg-type]
    assert caught.value.field == "attributes"


# --- the category table --------------------------------------------------------------------


def _clear(svc: Gridsvc) -> None:
    """Start from an empty category table (the test template loads the default taxonomy)."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM category")


def test_store_and_read_round_trip(svc: Gridsvc) -> None:
    _clear(svc)
    taxonomy = default_taxonomy()
    with svc.db.connection() as conn:
        assert read_taxonomy(conn) == Taxonomy(())
        assert store_taxonomy(conn, taxonomy) == []
    with svc.db.connection() as conn:
        stored = read_taxonomy(conn)
    assert [c.to_dict() for c in stored] == [c.to_dict() for c in taxonomy]
    assert stored.categories == taxonomy.categories  # sort_order and active included
    assert stored.version is None
    # storing the same again changes nothing and deactivates nothing
    with svc.db.connection() as conn:
        assert store_taxonomy(conn, taxonomy) == []
        assert read_taxonomy(conn).categories == taxonomy.categories


def test_a_smaller_taxonomy_deactivates_the_missing_ones(svc: Gridsvc, tmp_path: Path) -> None:
    _clear(svc)
    with svc.db.connection() as conn:
        store_taxonomy(conn, default_taxonomy())
    doc = _small()
    doc["categories"][1]["name_zh"] = "消防隐患"  # changed name: updated in place
    small = _load(tmp_path, doc)
    with svc.db.connection() as conn:
        deactivated = store_taxonomy(conn, small)
    expected = sorted({c.code for c in default_taxonomy()} - {c.code for c in small})
    assert deactivated == expected and "hazard.gas" in deactivated
    with svc.db.connection() as conn:
        active = read_taxonomy(conn)
        everything = read_taxonomy(conn, include_inactive=True)
    assert [c.code for c in active] == ["dispute", "dispute.family", "hazard", "hazard.fire"]
    assert active.get("hazard.fire").name_zh == "消防隐患"
    assert active.get("dispute.family").sensitive is True
    with pytest.raises(UnknownCategory):
        active.get("hazard.gas")
    # never deleted: still there, inactive
    assert len(everything) == len(default_taxonomy())
    assert everything.get("hazard.gas").active is False
    assert everything.get("hazard.fire").active is True
    (n,) = svc.db.cursor_fetchall("SELECT count(*) FROM category")[0]
    assert n == len(default_taxonomy())
    # loading the default again brings them back
    with svc.db.connection() as conn:
        assert store_taxonomy(conn, default_taxonomy()) == []
        assert read_taxonomy(conn).categories == default_taxonomy().categories


def test_a_failed_transaction_stores_nothing(svc: Gridsvc) -> None:
    _clear(svc)
    with pytest.raises(RuntimeError), svc.db.connection() as conn:
        store_taxonomy(conn, default_taxonomy())
        raise RuntimeError("boom")
    with svc.db.connection() as conn:
        assert len(read_taxonomy(conn)) == 0
