"""Checklist profiles and items as data: resources/checklists/ and the user's own folder.

A profile (``profiles/<id>.toml``) names the items it needs and when; the item catalogue
(``items.toml``) says what each item is, which rule checks it and what to tell the user. A
clinic adds a profile, or an item with a generic rule, by dropping a TOML file in
``<config>/checklists/`` (or by naming a file with ``--profile path.toml``): no code. The
format is documented in docs/checklist-format.md. A malformed file is refused with a message
naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bundler import config, tomlfile
from bundler.errors import UsageError
from bundler.model import DocumentKind, Requirement

__all__ = [
    "BUILTIN_CONDITIONS",
    "ChecklistError",
    "Condition",
    "ItemSpec",
    "ItemUse",
    "Profile",
    "RULES",
    "available_profiles",
    "conditions",
    "load_profile",
    "user_checklist_dir",
]

RULES = frozenset({
    "summary", "questions", "symptom_timeline", "document", "medications", "allergies", "imaging_images",
    "imaging_reports", "prior_imaging", "labs", "intake", "family_history", "insurance_referral",
    "identity", "series_complete", "image_quality", "dates",
})
"""The rules an item can use. "document" and "intake" are the generic ones for clinics."""

BUILTIN_CONDITIONS = frozenset({"imaging_study", "imaging_report", "comparison_mentioned", "same_region_studies"})
"""Conditions computed from the records' structure; the others come from conditions.toml."""

INTAKE_FIELDS = frozenset({
    "main_concern", "diagnosis", "plan", "decision", "symptoms", "question_bank", "own_questions",
    "allergies", "medications", "family_history", "pathology_slides",
})

_ITEM_KEYS = frozenset({"title", "what", "rule", "next_step", "kinds", "terms", "field", "recent_months",
                        "need_dose", "title_es", "what_es", "next_step_es"})
_USE_KEYS = frozenset({"required", "when", "otherwise"}) | _ITEM_KEYS
_LEVELS = {r.value for r in Requirement}


class ChecklistError(UsageError):
    """A checklist profile or item file that cannot be used (names the file and the line)."""

    code = "checklist_invalid"


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """What an item is and how it is checked."""

    id: str
    title: str
    what: str
    rule: str
    texts: Mapping[str, str]  # next_step and the rule's other messages (templates)
    params: Mapping[str, Any] = field(default_factory=dict)  # kinds, terms, field, recent_months...
    texts_es: Mapping[str, str] = field(default_factory=dict)  # Spanish: title, what and the texts

    def text(self, key: str, lang: str = "en") -> str:
        """A text template (``next_step``, ``ask``...) in ``lang``, else English, else next_step."""
        if lang == "es" and key in self.texts_es:
            return self.texts_es[key]
        if key in self.texts:
            return self.texts[key]
        return self.texts_es.get("next_step", self.texts["next_step"]) if lang == "es" else self.texts["next_step"]

    def title_in(self, lang: str = "en") -> str:
        return self.texts_es.get("title", self.title) if lang == "es" else self.title

    def what_in(self, lang: str = "en") -> str:
        return self.texts_es.get("what", self.what) if lang == "es" else self.what


@dataclass(frozen=True, slots=True)
class ItemUse:
    """An item as a profile uses it."""

    spec: ItemSpec
    level: Requirement  # when the conditions hold (or always, without conditions)
    when: tuple[str, ...] = ()  # any of these conditions makes the item ``level``
    otherwise: Requirement = Requirement.NOT_REQUIRED


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    description: str
    items: tuple[ItemUse, ...]
    source: str
    title_es: str = ""
    description_es: str = ""

    def title_in(self, lang: str = "en") -> str:
        return self.title_es or self.title if lang == "es" else self.title


@dataclass(frozen=True, slots=True)
class Condition:
    """Words (and document kinds) that mean something happened: a biopsy, a stay, a cancer."""

    id: str
    terms: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    intake: tuple[str, ...] = ()


def user_checklist_dir() -> Path:
    """Where a clinic puts its own profiles (``<config>/checklists``)."""
    return config.user_config_dir() / "checklists"


def _resource(name: str) -> str:
    return resources.files("bundler_resources").joinpath(f"checklists/{name}").read_text(encoding="utf-8")


class _File:
    """One TOML file being checked: failures name it and the line of the key."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.data = tomlfile.loads(text, f"The checklist file {source}", ChecklistError)

    def fail(self, path: list[str | int], problem: str) -> ChecklistError:
        line = tomlfile.line_of(self.text, path)
        where = f"{self.source}, line {line}" if line else self.source
        return ChecklistError(f"The checklist file {where}: {problem}.")

    def text_list(self, path: list[str | int], value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(path, f"'{path[-1]}' must be a list of texts")
        return tuple(v.strip() for v in value)


def _item_spec(f: _File, path: list[str | int], item_id: str, raw: Mapping[str, Any],
               base: ItemSpec | None) -> ItemSpec:
    for key, value in raw.items():
        if key not in _USE_KEYS:
            raise f.fail([*path, key], f"unknown key '{key}' (known: {', '.join(sorted(_USE_KEYS))})")
    texts = dict(base.texts) if base else {}
    texts_es = dict(base.texts_es) if base else {}
    params: dict[str, Any] = dict(base.params) if base else {}
    for key, value in raw.items():
        if key in ("required", "when", "otherwise", "title", "what", "rule"):
            continue
        if key == "kinds":
            kinds = f.text_list([*path, key], value)
            bad = [k for k in kinds if k not in {d.value for d in DocumentKind}]
            if bad:
                raise f.fail([*path, key], f"'{bad[0]}' is not a document kind "
                                           f"(one of: {', '.join(d.value for d in DocumentKind)})")
            params[key] = kinds
        elif key == "terms":
            params[key] = f.text_list([*path, key], value)
        elif key == "field":
            if value not in INTAKE_FIELDS:
                raise f.fail([*path, key], f"'field' must be one of: {', '.join(sorted(INTAKE_FIELDS))}")
            params[key] = value
        elif key == "recent_months":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise f.fail([*path, key], "'recent_months' must be a whole number of months, 1 or more")
            params[key] = value
        elif key == "need_dose":
            if not isinstance(value, bool):
                raise f.fail([*path, key], "'need_dose' must be true or false")
            params[key] = value
        elif key in ("next_step", "next_step_es", "title_es", "what_es"):
            if not isinstance(value, str) or not value.strip():
                raise f.fail([*path, key], f"'{key}' must be a text")
            if key.endswith("_es"):
                texts_es[key[:-3]] = value.strip()
            else:
                texts[key] = value.strip()
    title = raw.get("title", base.title if base else None)
    rule = raw.get("rule", base.rule if base else None)
    what = raw.get("what", base.what if base else "")
    if base is None and (title is None or rule is None):
        raise f.fail(path, f"the item '{item_id}' is not in the item catalogue, so it needs a 'title', "
                           "a 'rule' and a 'next_step'")
    if not isinstance(title, str) or not title.strip():
        raise f.fail([*path, "title"], "'title' must be a text")
    if not isinstance(what, str):
        raise f.fail([*path, "what"], "'what' must be a text")
    if rule not in RULES:
        raise f.fail([*path, "rule"], f"'{rule}' is not a rule (one of: {', '.join(sorted(RULES))})")
    if base is None and rule not in ("document", "intake"):
        raise f.fail([*path, "rule"], "a new item can use the rule \"document\" or \"intake\"")
    if rule == "document" and not params.get("kinds") and not params.get("terms"):
        raise f.fail(path, "an item with the rule \"document\" needs 'kinds' or 'terms'")
    if rule == "intake" and "field" not in params:
        raise f.fail(path, "an item with the rule \"intake\" needs a 'field'")
    if "next_step" not in texts:
        raise f.fail(path, f"the item '{item_id}' needs a 'next_step'")
    return ItemSpec(item_id, title.strip(), what.strip(), rule, texts, params, texts_es)


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, ItemSpec]:
    f = _File(_resource("items.toml"), "items.toml")
    es = _File(_resource("items.es.toml"), "items.es.toml")
    out: dict[str, ItemSpec] = {}
    for item_id, raw in f.data.items():
        if not isinstance(raw, dict):
            raise f.fail([item_id], f"'{item_id}' must be a table")
        texts = {k: v for k, v in raw.items() if isinstance(v, str) and k not in ("title", "what", "rule", "field")}
        spec = _item_spec(f, [item_id], item_id, {k: v for k, v in raw.items() if k in _USE_KEYS},
                          ItemSpec(item_id, str(raw.get("title", "")), "", str(raw.get("rule", "")), {}))
        out[item_id] = ItemSpec(item_id, spec.title, spec.what, spec.rule, {**texts, **spec.texts}, spec.params)
    for item_id, raw in es.data.items():
        if item_id not in out or not isinstance(raw, dict):
            raise es.fail([item_id], f"'{item_id}' is not an item of items.toml")
        english = {"title", "what", *out[item_id].texts}
        for key, value in raw.items():
            if key not in english or not isinstance(value, str):
                raise es.fail([item_id, key], f"'{key}' is not a text of the item '{item_id}' in items.toml")
        spec = out[item_id]
        out[item_id] = ItemSpec(spec.id, spec.title, spec.what, spec.rule, spec.texts, spec.params, dict(raw))
    return out


@lru_cache(maxsize=1)
def conditions() -> dict[str, Condition]:
    """The word conditions of resources/checklists/conditions.toml."""
    f = _File(_resource("conditions.toml"), "conditions.toml")
    out = {}
    for cid, raw in f.data.items():
        if not isinstance(raw, dict):
            raise f.fail([cid], f"'{cid}' must be a table")
        out[cid] = Condition(cid, f.text_list([cid, "terms"], raw.get("terms", [])),
                             f.text_list([cid, "kinds"], raw.get("kinds", [])) if "kinds" in raw else (),
                             f.text_list([cid, "intake"], raw.get("intake", [])) if "intake" in raw else ())
    return out


def _use(f: _File, item_id: str, raw: Any, base: ItemSpec | None) -> ItemUse:
    path: list[str | int] = ["items", item_id]
    shorthand = isinstance(raw, str)  # summary = "required": errors point at that line
    if isinstance(raw, str):
        raw = {"required": raw}
    if not isinstance(raw, dict):
        raise f.fail(path, f"'{item_id}' must be \"required\", \"recommended\", \"not_required\" or a table")
    level = raw.get("required", "required")
    when: tuple[str, ...] = ()
    otherwise = Requirement.NOT_REQUIRED
    if level == "when":
        when = f.text_list([*path, "when"], raw.get("when"))
        known = BUILTIN_CONDITIONS | set(conditions())
        bad = [c for c in when if c not in known]
        if bad:
            raise f.fail([*path, "when"], f"'{bad[0]}' is not a condition (one of: {', '.join(sorted(known))})")
        other = raw.get("otherwise", "not_required")
        if other not in _LEVELS:
            raise f.fail([*path, "otherwise"], f"'otherwise' must be one of: {', '.join(sorted(_LEVELS))}")
        otherwise = Requirement(other)
        level = "required"
    elif "when" in raw or "otherwise" in raw:
        raise f.fail([*path], "'when' and 'otherwise' go with required = \"when\"")
    if level not in _LEVELS:
        raise f.fail(path if shorthand else [*path, "required"],
                     f"'{item_id}' must be one of: required, recommended, not_required, when")
    spec = _item_spec(f, path, item_id, raw, base)
    return ItemUse(spec, Requirement(level), when, otherwise)


def _parse_profile(text: str, source: str, profile_id: str, *, seen: tuple[str, ...] = ()) -> Profile:
    f = _File(text, source)
    data = f.data
    for key in data:
        if key not in ("title", "description", "extends", "items", "title_es", "description_es"):
            raise f.fail([key], f"unknown key '{key}' (known: title, title_es, description, description_es, "
                                "extends, items)")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise f.fail(["title"], "a profile needs a 'title'")
    items: dict[str, ItemUse] = {}
    parent = data.get("extends")
    if parent is not None:
        if not isinstance(parent, str) or parent in (*seen, profile_id):
            raise f.fail(["extends"], "'extends' must name another profile (and not make a loop)")
        try:
            base = load_profile(parent, _seen=(*seen, profile_id))
        except ChecklistError as e:
            raise f.fail(["extends"], f"the profile it extends cannot be used ({e.user_message})") from e
        items = {u.spec.id: u for u in base.items}
    raw_items = data.get("items", {})
    if not isinstance(raw_items, dict):
        raise f.fail(["items"], "'items' must be a table")
    catalogue = _catalogue()
    for item_id, raw in raw_items.items():
        base_spec = items[item_id].spec if item_id in items else catalogue.get(item_id)
        items[item_id] = _use(f, item_id, raw, base_spec)
    if not items:
        raise f.fail(["items"], "a profile needs at least one item")
    texts = {}
    for key in ("description", "title_es", "description_es"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise f.fail([key], f"'{key}' must be a text")
        texts[key] = value.strip()
    return Profile(profile_id, title.strip(), texts["description"], tuple(items.values()), source,
                   texts["title_es"], texts["description_es"])


def _builtin_ids() -> list[str]:
    folder = resources.files("bundler_resources").joinpath("checklists/profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name: str, *, _seen: tuple[str, ...] = ()) -> Profile:
    """A profile by id (the user's folder first, then the built-in ones) or by a ``.toml`` path."""
    if name.endswith(".toml"):
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ChecklistError(f"The checklist file {path} cannot be read.") from e
        return _parse_profile(text, str(path), path.stem, seen=_seen)
    user = user_checklist_dir() / f"{name}.toml"
    if user.is_file():
        return load_profile(str(user), _seen=_seen)
    if name in _builtin_ids():
        return _parse_profile(_resource(f"profiles/{name}.toml"), f"profiles/{name}.toml", name, seen=_seen)
    known = ", ".join(p.id for p in available_profiles())
    raise ChecklistError(f"There is no checklist profile '{name}' (available: {known}).", code="no_such_profile")


def available_profiles() -> list[Profile]:
    """Every profile the user can choose: the built-in ones and the user's own folder."""
    ids = dict.fromkeys(_builtin_ids())
    folder = user_checklist_dir()
    if folder.is_dir():
        ids.update(dict.fromkeys(sorted(p.stem for p in folder.glob("*.toml"))))
    return [load_profile(i) for i in ids]
