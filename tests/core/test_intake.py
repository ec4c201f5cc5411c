"""The patient's own part of a case: the intake file format, storing it, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bundler.cli import main
from bundler.errors import CaseError
from bundler.intake import (
    IntakeError,
    intake_document,
    load_intake,
    parse_intake,
    question_bank,
    questions,
    read_intake_file,
    save_intake,
    valid_partial_date,
)
from bundler.store import CaseStore

FULL = """\
[patient]
name = "Zoë Muñoz-Šimková"
birth_date = 1962-08-23
phone = "+1 555 0100"

[concern]
main_concern = "A lung nodule that grew"
diagnosis = "Lung adenocarcinoma, stage I"
plan = "Lobectomy"
decision = "Surgery or SBRT"

[[symptoms]]
date = "2025-06"
what = "Dry cough"
helped = "Warm drinks"

[[symptoms]]
date = "2026"
what = "Short of breath on stairs"

[questions]
bank = ["diagnosis", "options"]
own = ["Can I keep working?"]

[allergies]
[[allergies.items]]
substance = "Penicillin"
reaction = "Hives"

[medications]
none = false
[[medications.items]]
name = "Lisinopril"
dose = "10 mg"
start = "2023-05"

[family_history]
text = "Father: lung cancer at 68."

[insurance]
insurer = "Acme Health"
referral_required = false

[pathology]
slides = "Riverside Pathology keeps the blocks."
"""


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    s = CaseStore.open(tmp_path / "case", create=True)
    yield s
    s.close()


def _write(tmp_path: Path, text: str, name: str = "intake.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_toml_file_loads_every_section(tmp_path: Path, store: CaseStore) -> None:
    intake = save_intake(store, read_intake_file(_write(tmp_path, FULL)))
    assert intake.patient.name == "Zoë Muñoz-Šimková"
    assert intake.patient.birth_date == "1962-08-23"  # a bare TOML date is accepted
    assert intake.main_concern.startswith("A lung nodule")
    assert [s.date for s in intake.symptoms] == ["2025-06", "2026"]
    assert intake.symptoms[0].helped == "Warm drinks"
    assert intake.question_bank == ("diagnosis", "options")
    assert questions(intake)[0] == dict(question_bank())["diagnosis"]
    assert questions(intake)[-1] == "Can I keep working?"
    assert intake.allergies[0].substance == "Penicillin" and not intake.allergies_none_known
    assert intake.medications[0].dose == "10 mg"
    assert intake.insurance.referral_required is False  # "no referral needed" is kept as an answer
    assert intake.pathology_slides
    # Stored: a new connection reads back the same intake.
    again = CaseStore.open(store.path)
    try:
        assert load_intake(again) == intake
    finally:
        again.close()


def test_json_and_toml_are_the_same_format(tmp_path: Path, store: CaseStore) -> None:
    from_toml = save_intake(store, read_intake_file(_write(tmp_path, FULL)))
    as_json = _write(tmp_path, json.dumps(intake_document(from_toml), ensure_ascii=False), "intake.json")
    assert save_intake(store, read_intake_file(as_json), replace=True) == from_toml


def test_a_file_replaces_only_its_sections_unless_told_to_replace_all(tmp_path: Path, store: CaseStore) -> None:
    save_intake(store, read_intake_file(_write(tmp_path, FULL)))
    update = _write(tmp_path, '[insurance]\ninsurer = "Other Co"\nreferral_required = true\n', "more.toml")
    merged = save_intake(store, read_intake_file(update))
    assert merged.insurance.insurer == "Other Co" and merged.insurance.referral_required is True
    assert merged.main_concern.startswith("A lung nodule")  # other sections kept
    replaced = save_intake(store, read_intake_file(update), replace=True)
    assert replaced.main_concern == "" and replaced.insurance.insurer == "Other Co"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[concern]\nmain_concern = "x"\n\n[hobbies]\nfishing = true\n', 4, "unknown section"),
        ('[concern]\nmain_concern = "x"\nmood = "fine"\n', 3, "concern.mood: unknown key"),
        ('[[symptoms]]\ndate = "2025-06"\nwhat = "a"\n[[symptoms]]\ndate = "2025-13"\nwhat = "b"\n', 5,
         "symptoms[1].date"),
        ('[questions]\nbank = ["diagnosis", "horoscope"]\n', 2, "'horoscope' is not a question"),
        ('[allergies]\nnone_known = "yes"\n', 2, "true or false"),
        ('[[medications.items]]\ndose = "10 mg"\n', 1, "medications.items[0].name: is required"),
        ('[concern\nmain_concern = "x"\n', 1, "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_key(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(IntakeError) as e:
        read_intake_file(path)
    message = e.value.user_message
    assert str(path) in message and words in message
    assert f"line {line}" in message


def test_a_bad_json_file_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps({"symptoms": [{"what": "cough", "date": "yesterday"}]}), "i.json")
    with pytest.raises(IntakeError, match=r"symptoms\[0\]\.date"):
        read_intake_file(path)


def test_a_read_only_case_refuses_an_intake(store: CaseStore) -> None:
    store.mark_read_only()
    with pytest.raises(CaseError):
        save_intake(store, parse_intake({"concern": {"main_concern": "x"}}, "test"))


def test_cli_loads_and_prints_the_intake_and_changes_nothing_on_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    assert main(["intake", "--case", str(case), str(_write(tmp_path, FULL))]) == 0
    capsys.readouterr()
    assert main(["intake", "--case", str(case), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["concern"]["decision"] == "Surgery or SBRT"
    assert printed["questions"]["bank"] == ["diagnosis", "options"]
    bad = _write(tmp_path, FULL.replace('date = "2026"', 'date = "2026-02-30"'), "bad.toml")
    assert main(["intake", "--case", str(case), str(bad), "--replace"]) == 2
    assert "line " in capsys.readouterr().err
    assert main(["intake", "--case", str(case), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == printed  # the refused file changed nothing


def test_the_question_bank_has_both_languages() -> None:
    en, es = dict(question_bank("en")), dict(question_bank("es"))
    assert len(en) == 14 and en.keys() == es.keys()
    assert len(question_bank(group="imaging")) == 4
    assert all(en[k] != es[k] for k in en)


@given(st.text(max_size=20))
def test_partial_dates_never_raise(text: str) -> None:
    valid_partial_date(text)


@given(st.dates())
def test_every_real_date_is_valid_at_every_precision(day: object) -> None:
    iso = day.isoformat()  # type: ignore[attr-defined]
    if 1850 <= int(iso[:4]) <= 2200:
        assert valid_partial_date(iso) and valid_partial_date(iso[:7]) and valid_partial_date(iso[:4])
