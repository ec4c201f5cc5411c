"""One medication list from every source: same drug and dose once, with all its sources."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bundler.medications import merge_allergies, merge_medications, normalise_dose
from bundler.model import Allergy, Medication, ParsedDocument


def _doc(*meds: Medication, allergies: tuple[Allergy, ...] = ()) -> ParsedDocument:
    return ParsedDocument(media_type="x", medications=meds, allergies=allergies)


def test_same_drug_and_dose_from_three_sources_is_one_entry() -> None:
    contents = {
        "fhir": _doc(Medication("Lisinopril 10 MG Oral Tablet", dose="10 mg", start="2024-01-05")),
        "ccda": _doc(Medication("lisinopril", dose="10mg", frequency="once daily")),
        "csv": _doc(Medication("Lisinopril", dose="10 MG", start="2023-11-01"), Medication("Metformin", "500 mg")),
    }
    merged = merge_medications(contents)
    assert [(m.name, m.sources) for m in merged] == [
        ("lisinopril", ("fhir", "ccda", "csv")),
        ("Metformin", ("csv",)),
    ]
    lisinopril = merged[0]
    assert lisinopril.start == "2023-11-01"  # the earliest start any source gives
    assert lisinopril.frequency == "once daily"


def test_different_doses_stay_separate() -> None:
    merged = merge_medications({"a": _doc(Medication("Metformin", "500 mg")), "b": _doc(Medication("Metformin", "1,000 mg"))})
    assert sorted(m.dose for m in merged) == ["1,000 mg", "500 mg"]


def test_dose_normalisation() -> None:
    assert normalise_dose("500mg") == normalise_dose("500 MG") == normalise_dose("500.0 mg") == "500 mg"
    assert normalise_dose("1,000 mg") == "1000 mg"
    assert normalise_dose("2,5 mg") == "2.5 mg"
    assert normalise_dose("100 µg") == "100 mcg"


def test_allergies_merge_and_none_known() -> None:
    merged = merge_allergies({
        "a": _doc(allergies=(Allergy("Penicillin G", reaction="hives"),)),
        "b": _doc(allergies=(Allergy("penicillin g", reaction="rash"), Allergy("", none_known=True))),
    })
    assert [(a.substance, a.none_known, a.sources) for a in merged] == [
        ("Penicillin G", False, ("a", "b")), ("", True, ("b",))]
    assert merged[0].reaction == "hives; rash"


@given(st.text(max_size=60), st.text(max_size=30))
def test_merge_never_raises(name: str, dose: str) -> None:
    merge_medications({"x": _doc(Medication(name, dose))})
    normalise_dose(dose)
