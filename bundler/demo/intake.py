"""The patient's own part of the demo case: ``intake.toml`` (format: docs/intake-format.md).

What only the patient can tell (concern, symptoms, questions, allergies, family history,
insurance), consistent with the records: the same person, the dates of :class:`_Story`, the
penicillin allergy the procedure note lists. Medications are left to the clinic's list
(``Documents/Medication_List.csv``): ``none = false`` with no items.
"""

from __future__ import annotations

import datetime
import json

from bundler.demo.story import _BIRTH, _FAMILY, _GIVEN, _PULMONOLOGIST, _Story

__all__: list[str] = []


def _q(value: str) -> str:
    """A TOML basic string: JSON's escapes (\\", \\\\, \\n, \\uXXXX) are TOML's too."""
    return json.dumps(value, ensure_ascii=False)


def _month(d: datetime.date) -> str:
    return f"{d:%Y-%m}"


_CONCERN = (
    ("main_concern", "A spot on my right lung grew in one year, and the biopsy showed lung cancer. "
     "I want to be sure of the diagnosis and the stage before I choose a treatment."),
    ("diagnosis", "Lung adenocarcinoma, right upper lobe, 14 mm. The stage is not known yet: a "
     "lymph node and a spot on the left adrenal gland are unclear."),
    ("plan", "PET/CT scan for staging, then a visit with a thoracic surgeon; surgery to remove "
     "the upper lobe (lobectomy) is likely."),
    ("decision", "Surgery, or radiotherapy (SBRT) instead; and whether the lymph node and the "
     "adrenal spot need a biopsy first."),
)  # fmt: skip
_OWN_QUESTION = "Should the spot on my adrenal gland be checked before any surgery?"
_FAMILY_HISTORY = (
    "Father: lung cancer at 71; he smoked. Mother: breast cancer at 66, treated; she is alive. "
    "No other cancers that I know of."
)


def _intake_toml(story: _Story) -> str:
    """The intake file's text: deterministic for a given story."""
    cough = story.current_ct - datetime.timedelta(days=42)  # "6 weeks" in the CT report
    breath = story.current_ct - datetime.timedelta(days=20)
    tired = story.visit - datetime.timedelta(days=5)
    doctor = f"Dr {_PULMONOLOGIST[1]} {_PULMONOLOGIST[0]}"
    referral = f"REF-{story.visit.year}-0117 from {doctor}, second opinion (thoracic oncology)"
    slides = (
        "Lakeside University Hospital Pathology keeps the slides and block A1 (case "
        f"{story.pathology_accession}). The block is at the molecular lab for now; the slides can "
        "be sent at once."
    )
    lines = [
        "# What only the patient can tell: the demo patient's own part of the case.",
        "# Invented, like everything in the demo. Format: docs/intake-format.md.",
        "",
        "[patient]",
        f"name = {_q(f'{_GIVEN} {_FAMILY}')}",
        f"birth_date = {_q(_BIRTH.isoformat())}",
        'address = "27 Willow Lane, Millbrook, ST 01234"',
        'phone = "(555) 014-7781"',
        'email = "zoe.munoz@example.org"',
        "",
        "[concern]",
        *(f"{key} = {_q(text)}" for key, text in _CONCERN),
        "",
    ]
    symptoms = (
        (_month(cough), "Dry cough that did not go away", "Warm drinks with honey",
         "Cough syrup from the pharmacy"),
        (breath.isoformat(), "More short of breath than usual when climbing stairs",
         "My albuterol inhaler", ""),
        (story.biopsy.isoformat(), "Sharp pain on the right side of my chest for two days "
         "after the biopsy", "Resting; it went away by itself", ""),
        (tired.isoformat(), "The cough is better, but I am tired most afternoons",
         "A short nap", "Coffee"),
    )  # fmt: skip
    for date, what, helped, did_not_help in symptoms:  # oldest first
        lines += [
            "[[symptoms]]",
            f"date = {_q(date)}",
            f"what = {_q(what)}",
            f"helped = {_q(helped)}",
            f"did_not_help = {_q(did_not_help)}",
            "",
        ]
    lines += [
        "[questions]",
        'bank = ["diagnosis", "options", "imaging_concerning", "imaging_next_test"]',
        f"own = [{_q(_OWN_QUESTION)}]",
        "",
        "[allergies]",
        "none_known = false",
        "[[allergies.items]]",
        'substance = "Penicillin"',
        'reaction = "Hives"',
        'severity = "moderate"',
        "",
        "[medications]",
        "none = false  # the clinic's list (Documents/Medication_List.csv) names them",
        "",
        "[family_history]",
        "none_known = false",
        f"text = {_q(_FAMILY_HISTORY)}",
        "",
        "[insurance]",
        'insurer = "Millbrook Mutual Health"',
        'member_id = "MMH-204518837"',
        'plan = "PPO Silver"',
        "referral_required = true",
        f"referral = {_q(referral)}",
        'authorization = ""',
        "",
        "[pathology]",
        f"slides = {_q(slides)}",
        "",
    ]
    return "\n".join(lines)
