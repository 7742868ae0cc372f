"""The catalogue of messages is complete: every id in both languages with the same
placeholders, every raise of a gridsvc error built from a catalogue id (never from free
text), every input of the API with a label, and Accept-Language negotiated as RFC 9110 says.
No database needed."""

from __future__ import annotations

import ast
import inspect
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridsvc import errors
from gridsvc.messages import (
    FIELDS,
    MESSAGES,
    TERMS,
    Local,
    Msg,
    field_label,
    negotiate,
    placeholders,
)

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("gridsvc", "api", "web")
# written while the catalogue was made (OGC API, Open311, vector tiles): converted next,
# then removed from here
CJK = re.compile(r"[\u4e00-\u9fff]")
PYDANTIC_WORDS = ("Input should", "Field required", "valid dictionary", "Extra inputs")

ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.GridsvcError)
}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    """The modules of gridsvc, api and web, parsed."""
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text("utf-8"), filename=str(path))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _ids_in(node: ast.expr) -> Iterator[ast.expr]:
    """The expressions a message id may come from: both arms of ``a if c else b``."""
    if isinstance(node, ast.IfExp):
        yield from _ids_in(node.body)
        yield from _ids_in(node.orelse)
    else:
        yield node


def _problems_of(node: ast.expr, what: str) -> list[str]:
    """Why ``node`` is no catalogue id: free text, an f-string, an unknown id. A name or an
    attribute passes (a :class:`Msg` taken from another error; its id was checked where
    it was made)."""
    found = []
    for arm in _ids_in(node):
        if isinstance(arm, ast.Constant):
            if arm.value is None and what == "hint":
                continue
            if not isinstance(arm.value, str) or arm.value not in MESSAGES:
                found.append(f"{what} {arm.value!r} is not a catalogue id")
        elif isinstance(arm, ast.JoinedStr | ast.BinOp):
            found.append(f"{what} is text built in place: {ast.unparse(arm)[:80]}")
        elif not isinstance(arm, ast.Name | ast.Attribute | ast.Call | ast.Subscript):
            found.append(f"{what} is {ast.unparse(arm)[:80]}")
    return found


def _message_sites() -> Iterator[tuple[str, ast.Call, str]]:
    """Every construction of a gridsvc error, a :class:`Msg` and a row rejection."""
    for path, tree in _sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                if name in ERROR_CLASSES or name == "Msg":
                    yield where, node, "message id"
                elif name in ("reject", "reject_one"):
                    yield where, node, "rejection id"


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    assert len(MESSAGES) > 200
    for msg_id, entry in MESSAGES.items():
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", msg_id), msg_id
        pairs = [("en", "zh")]
        assert ("hint_en" in entry) == ("hint_zh" in entry), msg_id
        if "hint_en" in entry:
            pairs.append(("hint_en", "hint_zh"))
        for en_key, zh_key in pairs:
            en, zh = entry[en_key], entry[zh_key]  # type: ignore[literal-required]
            assert en.strip() and zh.strip(), (msg_id, en_key)
            # Chinese words, or nothing but placeholders and punctuation ("{name}（{code}）")
            words = re.sub(r"\{[^}]*\}", "", zh)
            assert CJK.search(words) or not re.search(r"[A-Za-z]", words), (msg_id, zh)
            assert en != zh, (msg_id, en)
            names_en = {name for name, _ in placeholders(en)}
            names_zh = {name for name, _ in placeholders(zh)}
            assert names_en == names_zh, (msg_id, en_key, names_en ^ names_zh)
            for word in PYDANTIC_WORDS:
                assert word not in en and word not in zh, (msg_id, word)


def test_every_message_renders_with_its_placeholders_filled() -> None:
    samples: dict[str, Any] = {}
    for msg_id, entry in MESSAGES.items():
        for template in (v for k, v in entry.items()):
            for name, spec in placeholders(str(template)):
                if spec in ("list", "or", "labels", "terms", "choices", "items"):
                    samples[name] = ["occurred_at", "community"]
                elif spec in ("label", "named", "term"):
                    samples[name] = "occurred_at"
                elif spec:
                    samples[name] = 12345.678
                else:
                    samples[name] = "x"
        for lang in ("en", "zh"):
            msg = Msg(msg_id, samples)
            text = msg.render(lang)
            assert "{" not in text.replace("{}", ""), (msg_id, lang, text)
            hint = msg.own_hint()
            if hint is not None:
                assert "{" not in hint.render(lang), (msg_id, lang)


def test_format_specs_say_fields_and_values_in_the_readers_words() -> None:
    msg = Msg("validation.missing", {"field": "occurred_at"})
    assert msg.render("zh") == "缺少发生时间。"
    assert msg.render("en") == "The time of the event (occurred_at) is missing."
    choice = Msg("validation.choice", {"field": "level", "choices": ["a", "b", "c"], "value": 1})
    assert choice.render("zh") == "统计层级应为a、b或c，收到的是 1。"
    assert "'level'" not in choice.render("en") and "a, b or c" in choice.render("en")
    assert field_label("attributes.0", "zh") == "补充信息"  # list items take their list's label
    assert field_label("points.3.1", "en") == "points"
    assert field_label("no_such_field", "zh") == "no_such_field"
    named = Local(en="fire hazard", zh="火灾隐患")
    assert Msg("http.no_path", {"path": named}).render("zh") == "没有这个地址：火灾隐患。"
    # a placeholder without a value stays visible rather than failing the answer
    assert "{path}" in Msg("http.no_path").render("en")


def test_no_raise_is_built_from_free_text() -> None:
    problems = []
    sites = 0
    for where, call, what in _message_sites():
        sites += 1
        line = f"{where}:{call.lineno}"
        if what == "rejection id":
            arg = call.args[2] if len(call.args) > 2 else None
        else:
            arg = call.args[0] if call.args else None
        if arg is None:
            problems.append(f"{line}: no {what}")
            continue
        problems += [f"{line}: {p}" for p in _problems_of(arg, what)]
        for keyword in call.keywords:
            if keyword.arg == "hint" and what == "message id" and _name(call.func) != "Msg":
                problems += [f"{line}: {p}" for p in _problems_of(keyword.value, "hint")]
    assert sites > 250
    assert not problems, "\n".join(problems)


def test_every_catalogue_id_is_used() -> None:
    used: set[str] = set()
    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                used.add(node.value)
    unused = sorted(set(MESSAGES) - used)
    assert not unused, unused


def test_errors_keep_english_for_logs_and_the_cli() -> None:
    exc = errors.NotFound("event.not_found", event_id=7, field="id")
    assert exc.message == str(exc) == "No event 7."
    assert exc.message_id == "event.not_found"
    message, _ = exc.text("zh")
    assert CJK.search(message) and "7" in message
    body = exc.to_dict("zh")
    assert body["error"] == "NotFound" and body["field"] == "id"
    assert body["message_id"] == "event.not_found" and body["message"] == message
    # raised again as another kind, with the same words
    again = errors.InvalidInput(exc.msg, field="into", details={"id": 7})
    assert again.text("zh")[0] == message and again.details == {"id": 7}
    with pytest.raises(KeyError):
        errors.InvalidInput("no.such.message")
    copied = pickle.loads(pickle.dumps(exc))
    assert isinstance(copied, errors.NotFound) and copied.to_dict("zh") == body


def test_every_input_of_the_api_has_a_label() -> None:
    from api import create_app
    from gridsvc.events.rows import INPUT_COLUMNS
    from tests.conftest import make_settings

    spec = create_app(make_settings("postgresql://labels.invalid/unused")).openapi()
    names = set(INPUT_COLUMNS)
    for operations in spec["paths"].values():
        for operation in operations.values():
            names |= {p["name"].lower() for p in operation.get("parameters", [])}
    for schema in spec["components"]["schemas"].values():
        if "properties" in schema and not schema.get("title", "").endswith("Out"):
            names |= set(schema["properties"])
    outputs = {n for n, s in spec["components"]["schemas"].items() if n.endswith("Out")}
    assert outputs  # response models are not inputs
    missing = sorted(n for n in names if n not in FIELDS)
    # names of response models that are not inputs (ErrorOut, HTTPValidationError, …)
    answers = {"error", "message", "message_id", "hint", "field", "details", "retry_after_s"}
    answers |= {"loc", "msg", "type", "detail", "input", "ctx", "url"}
    missing = [n for n in missing if n not in answers]
    assert not missing, f"fields without a label in gridsvc/messages/labels.py: {missing}"
    for label in [*FIELDS.values(), *TERMS.values()]:
        assert label["en"] and (CJK.search(label["zh"]) or label["zh"].isascii()), label


@pytest.mark.parametrize(
    ("header", "default", "chosen"),
    [
        (None, "zh", "zh"),
        (None, "en", "en"),
        ("", "en", "en"),
        ("zh-CN", "en", "zh"),
        ("zh", "en", "zh"),
        ("zh-Hans-CN", "en", "zh"),
        ("ZH-cn", "en", "zh"),
        ("en-US,en;q=0.9", "zh", "en"),
        ("en", "zh", "en"),
        ("fr-FR, de;q=0.8", "zh", "zh"),
        ("fr-FR, de;q=0.8", "en", "en"),
        ("fr, en;q=0.3, zh;q=0.5", "en", "zh"),
        ("zh;q=0.2, en;q=0.8", "zh", "en"),
        ("en;q=0, zh;q=0.1", "en", "zh"),  # q=0: "not this"
        ("zh;q=0", "zh", "zh"),  # nothing acceptable left: the default
        ("*", "en", "en"),
        ("en-GB;q=0.5, zh-TW;q=0.5", "zh", "en"),  # equal weight: the first wins
        ("en;q=abc", "zh", "en"),  # a malformed weight counts as none
        (";;;,,,", "en", "en"),
    ],
)
def test_accept_language(header: str | None, default: Any, chosen: str) -> None:
    assert negotiate(header, default) == chosen
