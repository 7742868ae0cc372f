"""Every message a person reads from gridsvc, in English and Chinese, from one catalogue.

A message is a catalogue id and its parameters (:class:`Msg`); its words are chosen when it is
shown, in the reader's language (:func:`negotiate` reads ``Accept-Language``). The catalogue
(:mod:`gridsvc.messages.catalogue`) holds, per id, templates in both languages for the message
and, where one helps, for the hint; :mod:`gridsvc.messages.labels` holds the words a form shows
for each input field and for the values people pick (levels, urgencies, roles, …).

Templates are :meth:`str.format` templates with named placeholders and a few format specs of
our own, so that a message says a field or a value in the reader's words:

``{field:label}``  the label of a field name (``occurred_at`` → 发生时间 / time of the event)
``{field:named}``  the label, and in English the name after it: time of the event (occurred_at)
``{names:labels}`` a list of field names, each as its label, joined
``{value:term}``   the word for a value (``community`` → 社区)
``{codes:choices}`` values to pick from: normal, urgent / 一般（normal）、紧急（urgent）
``{items:list}``   a list joined with "、" / ", " (items may be :class:`Msg` or :class:`Local`)
``{items:or}``     a list joined with "或" / " or "
``{value:quoted}`` a value (or a list of them) as sent, quoted: “high” / 'high'
``{items:items}``  a list of longer items joined with "；" / "; "
``{text:cap}``     the text with its first letter upper-case (a sentence of parts)

A parameter may itself be a :class:`Msg` (rendered in the same language) or a :class:`Local`
(a text the data gives in both languages, such as a category's names).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from gridsvc.messages.catalogue import MESSAGES
from gridsvc.messages.entry import Entry
from gridsvc.messages.labels import FIELDS, TERMS

Lang = Literal["en", "zh"]
LANGUAGES: Final[tuple[Lang, ...]] = ("en", "zh")
CONTENT_LANGUAGE: Final[dict[Lang, str]] = {"en": "en", "zh": "zh-CN"}
"""The ``Content-Language`` of an answer in each language."""

__all__ = [
    "CONTENT_LANGUAGE",
    "FIELDS",
    "LANGUAGES",
    "MESSAGES",
    "TERMS",
    "Entry",
    "Lang",
    "Local",
    "Msg",
    "field_label",
    "language_of",
    "negotiate",
    "placeholders",
    "setting_language",
]


@dataclass(frozen=True)
class Local:
    """A text the data gives in both languages (a category's ``name_en`` and ``name_zh``)."""

    en: str
    zh: str

    def render(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Msg:
    """A catalogued message: its id and the values of its placeholders. ``hint``: the
    entry's hint rather than its message. Unknown ids are refused at once (a bug, caught by
    ``tests/core/test_messages.py`` before it ships)."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    hint: bool = False

    def __post_init__(self) -> None:
        entry = MESSAGES.get(self.id)
        if entry is None:
            raise KeyError(f"no message {self.id!r} in gridsvc.messages.catalogue")
        if self.hint and "hint_en" not in entry:
            raise KeyError(f"message {self.id!r} has no hint")

    def own_hint(self) -> Msg | None:
        """The entry's hint with the same parameters, if the entry has one."""
        if self.hint or "hint_en" not in MESSAGES[self.id]:
            return None
        return Msg(self.id, self.params, hint=True)

    def render(self, lang: Lang = "en") -> str:
        entry = MESSAGES[self.id]
        key = ("hint_" if self.hint else "") + lang
        template: str = entry[key]  # type: ignore[literal-required]
        return _Formatter(lang).vformat(template, (), _Params(self.params))

    def __str__(self) -> str:
        return self.render("en")


def field_label(name: str, lang: Lang) -> str:
    """What a form calls the field ``name``: a machine name such as ``occurred_at``, or a
    path such as ``media.0`` or ``points.3.1`` (the label of its nearest part that has one);
    the name itself if no part has a label."""
    for part in [name, *reversed(name.split("."))]:
        found = FIELDS.get(part)
        if found is not None:
            return found[lang]
    return name


def _term(value: Any, lang: Lang) -> str:
    found = TERMS.get(str(value))
    return found[lang] if found else str(value)


class _Params(dict[str, Any]):
    """The parameters of one rendering; a placeholder without a value stays visible as
    ``{name}`` instead of failing the answer it is part of."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def _text(self, value: Any) -> str:
        if isinstance(value, Msg | Local):
            return value.render(self.lang)
        return str(value)

    def _join(self, values: Iterable[Any], last: str | None = None) -> str:
        texts = [self._text(v) for v in values]
        sep = "、" if self.lang == "zh" else ", "
        if last is None or len(texts) < 2:
            return sep.join(texts)
        return sep.join(texts[:-1]) + last + texts[-1]

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs[str(key)]

    def format_field(self, value: Any, format_spec: str) -> str:
        lang = self.lang
        if format_spec == "label":
            return field_label(str(value), lang)
        if format_spec == "named":
            label = field_label(str(value), lang)
            return label if lang == "zh" or label == str(value) else f"{label} ({value})"
        if format_spec == "labels":
            return self._join(field_label(str(v), lang) for v in value)
        if format_spec == "term":
            return _term(value, lang)
        if format_spec == "terms":
            return self._join(_term(v, lang) for v in value)
        if format_spec == "choices":
            return self._join(_choice(v, lang) for v in value)
        if format_spec == "list":
            return self._join(value) if _is_list(value) else self._text(value)
        if format_spec == "quoted":
            items = value if _is_list(value) else [value]
            quoted = [f"“{v}”" if lang == "zh" else repr(v) for v in items]
            return "、".join(quoted) if lang == "zh" else ", ".join(quoted)
        if format_spec == "items":
            sep = "；" if lang == "zh" else "; "
            return sep.join(self._text(v) for v in value)
        if format_spec == "or":
            word = "或" if lang == "zh" else " or "
            return self._join(value, word) if _is_list(value) else self._text(value)
        if format_spec == "cap":
            text = self._text(value)
            return text[:1].upper() + text[1:]
        if isinstance(value, Msg | Local):
            return value.render(lang)
        try:
            return str(super().format_field(value, format_spec))
        except (ValueError, TypeError):  # a value of another type than the template expects
            return str(value)


def _choice(value: Any, lang: Lang) -> str:
    """A value to pick, as sent: in Chinese with its word first (一般（normal）)."""
    found = TERMS.get(str(value))
    return f"{found['zh']}（{value}）" if lang == "zh" and found else str(value)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def placeholders(template: str) -> set[tuple[str, str]]:
    """The (name, format spec) of every placeholder of ``template``."""
    found = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            found.add((name, spec or ""))
    return found


# --- Accept-Language ------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?")


def language_of(tag: str | None) -> Lang | None:
    """Our language for a language tag: zh, zh-CN, zh-Hans, zh-SG … → zh (zh-TW and zh-Hant
    too: gridsvc writes simplified Chinese, which is still closer for their readers than
    English); en, en-US … → en; None for any other."""
    if not tag:
        return None
    primary = tag.strip().lower().split("-", 1)[0]
    if primary == "zh":
        return "zh"
    if primary == "en":
        return "en"
    return None


def negotiate(header: str | None, default: Lang) -> Lang:
    """The language of an ``Accept-Language`` header (RFC 9110: q-values honoured, the
    first of equal weight wins, ``q=0`` means "not this"); ``default`` when it names neither
    English nor Chinese, or for ``*``."""
    if not header:
        return default
    ranked: list[tuple[float, int, Lang]] = []
    for order, part in enumerate(header.split(",")[:20]):
        m = _RANGE.match(part)
        if m is None:
            continue
        try:
            q = float(m.group(2)) if m.group(2) is not None else 1.0
        except ValueError:
            continue
        lang = default if m.group(1) == "*" else language_of(m.group(1))
        if lang is not None and q > 0:
            ranked.append((-q, order, lang))
    return min(ranked)[2] if ranked else default


def setting_language(value: str) -> Lang:
    """The language of a ``GRIDSVC_CITY_LANGUAGE`` value (zh-CN, en, …); zh for unknown."""
    return language_of(value) or "zh"
