"""The completeness check: is this case ready for a second opinion, and what is missing?

A profile (resources/checklists/profiles/*.toml, or a clinic's own) names the items it needs
and when; each item is evaluated on the case's facts by its rule
(:mod:`bundler.checklist.rules`) to present, missing, attention or not_required, with its
evidence and one concrete next step. ``records-bundler check`` prints the result.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

from bundler.checklist.facts import CaseFacts, facts_from, gather_facts
from bundler.checklist.profiles import (
    ChecklistError,
    ItemUse,
    Profile,
    available_profiles,
    load_profile,
    user_checklist_dir,
)
from bundler.checklist.rules import RULE_FUNCTIONS
from bundler.identity import identity_json
from bundler.model import CompletenessReport, ItemResult, ItemStatus, Requirement
from bundler.store import CaseStore

__all__ = [
    "CaseFacts",
    "ChecklistError",
    "Profile",
    "available_profiles",
    "check_case",
    "evaluate",
    "facts_from",
    "gather_facts",
    "load_profile",
    "report_json",
    "user_checklist_dir",
]

DEFAULT_PROFILE = "general"


def _requirement(use: ItemUse, facts: CaseFacts) -> Requirement:
    if not use.when:
        return use.level
    return use.level if any(facts.holds(c) for c in use.when) else use.otherwise


def evaluate(facts: CaseFacts, profile: Profile, *, lang: str | None = None) -> CompletenessReport:
    """Evaluate every item of ``profile`` on ``facts``; texts in ``lang`` (default: the facts')."""
    if lang is not None and lang != facts.lang:
        facts = dataclasses.replace(facts, lang=lang)
    items = []
    for use in profile.items:
        requirement = _requirement(use, facts)
        outcome = RULE_FUNCTIONS[use.spec.rule](use, facts)
        if requirement is Requirement.NOT_REQUIRED:
            items.append(ItemResult(use.spec.id, use.spec.title_in(facts.lang), ItemStatus.NOT_REQUIRED,
                                    requirement, outcome.evidence))
            continue
        items.append(ItemResult(use.spec.id, use.spec.title_in(facts.lang), outcome.status, requirement,
                                outcome.evidence,
                                outcome.next_step if outcome.status is not ItemStatus.PRESENT else "",
                                outcome.details, outcome.requests))
    return CompletenessReport(profile.id, profile.title_in(facts.lang), tuple(items), facts.identity)


def check_case(store: CaseStore, *, profile: str | Profile = DEFAULT_PROFILE, today: _dt.date | None = None,
               lang: str = "en") -> CompletenessReport:
    """Check a case against a profile (by id, path or object); ``today`` for "in the future";
    ``lang`` ("en" or "es") for the texts."""
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    return evaluate(gather_facts(store, today=today), chosen, lang=lang)


def report_json(report: CompletenessReport) -> dict[str, Any]:
    """The ``check --json`` document: a contract (add fields, never rename)."""
    return {
        "profile": report.profile,
        "profile_title": report.profile_title,
        "complete": report.complete,
        "items": [
            {
                "id": i.id,
                "title": i.title,
                "status": str(i.status),
                "required": i.required,
                "requirement": str(i.requirement),
                "evidence": [{"ref": e.ref, "title": e.title} for e in i.evidence],
                "next_step": i.next_step,
                "details": list(i.details),
                "requests": [
                    {"facility": r.facility, "record": r.record, "exam": r.exam, "date": r.date,
                     "accession": r.accession, "reason": r.reason, "ref": r.ref}
                    for r in i.requests
                ],
            }
            for i in report.items
        ],
        "identity": identity_json(report.identity),
    }
