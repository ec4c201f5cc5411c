"""Linking reports to studies (accession, else date and modality) and COMPARISON priors to studies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from bundler.demo import write_demo
from bundler.linking import (
    Link,
    ReportInfo,
    link_reports,
    match_prior,
    normalise_accession,
)
from bundler.model import Instance, ParsedDocument, Patient, PriorReference, Series, Study
from bundler.reportlang import analyse_report

PATIENT = Patient(name="Test^Patient", id="P1", birth_date="19620823")


def study(
    uid: str,
    date: str,
    *modalities: str,
    description: str = "",
    accession: str = "",
    body_part: str = "",
) -> Study:
    """A study with one series (and one instance) per modality."""
    series = []
    for n, modality in enumerate(modalities or ("CT",), start=1):
        instance = Instance(
            sop_instance_uid=f"{uid}.{n}.1", sop_class_uid="1.2.840.10008.5.1.4.1.1.2", sha256="0" * 64,
            size=1, study_uid=uid, series_uid=f"{uid}.{n}", patient=PATIENT, study_date=date,
            study_description=description, accession=accession, modality=modality, body_part=body_part,
        )
        series.append(Series(f"{uid}.{n}", modality, "", n, body_part, (instance,)))
    return Study(uid, date, "", description, accession, "", "", PATIENT, tuple(series))


CT_CHEST = study("1.1", "20250312", "CT", description="CT CHEST WITH CONTRAST", accession="RIC000123", body_part="CHEST")
CT_ABDOMEN = study("1.2", "20250312", "CT", "SR", description="CT ABDOMEN PELVIS", accession="RIC124", body_part="ABDOMEN")
MR_BRAIN = study("1.3", "20250312", "MR", description="MRI BRAIN WITH AND WITHOUT CONTRAST", accession="X9")
XR_CHEST = study("1.4", "20250301", "DX", description="XR CHEST PA AND LATERAL", accession="X10")
PRIOR_CT = study("1.5", "20240310", "CT", description="CT CHEST LOW DOSE LUNG SCREENING", accession="L1")
OLD_CT = study("1.6", "20230115", "CT", description="CT CHEST", accession="L0")
CASE = (CT_CHEST, CT_ABDOMEN, MR_BRAIN, XR_CHEST, PRIOR_CT, OLD_CT)


def link(report: ReportInfo, studies: tuple[Study, ...] = CASE) -> Link:
    [one] = link_reports([report], studies)
    assert one.document_id == report.document_id
    return one


# --------------------------------------------------------------------------------------------
# Accession
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["RIC000123", "ric000123", " RIC000123 ", "RIC 000123"])
def test_accession_match(written: str) -> None:
    got = link(ReportInfo("d1", accession=written, date="2025-03-12", modality="MR"))
    assert (got.study_uid, got.method, got.candidates) == ("1.1", "accession", ("1.1",))


def test_leading_zeros_are_tolerated() -> None:
    padded = study("2.1", "20250101", "CT", accession="000456")
    assert link(ReportInfo("d1", accession="456"), (padded,)).study_uid == "2.1"
    assert normalise_accession("000456") == normalise_accession("456") == "456"
    assert normalise_accession("0000") == "0" and normalise_accession("  ") == ""
    assert normalise_accession("CT-123") != normalise_accession("CT123")


def test_accession_wins_over_date_and_notes_a_report_dated_before_its_study() -> None:
    got = link(ReportInfo("d1", accession="RIC000123", date="2025-03-10"))
    assert (got.study_uid, got.method) == ("1.1", "accession")
    assert "before its study" in got.detail


def test_unknown_accession_falls_back_to_date_and_modality() -> None:
    got = link(ReportInfo("d1", accession="NOPE", date="2025-03-12", modality="MR"))
    assert (got.study_uid, got.method) == ("1.3", "date_modality")
    assert "matches no study" in got.detail


def test_a_shared_accession_is_told_apart_by_modality() -> None:
    ct = study("3.1", "20250312", "CT", accession="A7")
    pet = study("3.2", "20250312", "PT", "CT", accession="A7")
    got = link(ReportInfo("d1", accession="a7", date="2025-03-12", modality="PT"), (ct, pet))
    assert (got.study_uid, got.method) == ("3.2", "accession")
    got = link(ReportInfo("d1", accession="a7", date="2025-03-12", modality="CT"), (ct, pet))
    assert (got.study_uid, got.method, set(got.candidates)) == (None, "ambiguous", {"3.1", "3.2"})


# --------------------------------------------------------------------------------------------
# Date and modality
# --------------------------------------------------------------------------------------------


def test_date_and_modality() -> None:
    got = link(ReportInfo("d1", date="2025-03-12", modality="MR"))
    assert (got.study_uid, got.method, got.candidates) == ("1.3", "date_modality", ("1.3",))
    assert "same day" in got.detail


def test_modality_and_region_from_the_report_text() -> None:
    text = "RADIOLOGY REPORT\nEXAM: MRI brain with and without contrast.\nFINDINGS: Normal."
    got = link(ReportInfo("d1", date="2025-03-12T16:42", text=text))
    assert (got.study_uid, got.method) == ("1.3", "date_modality")


def test_radiograph_matches_a_dx_study() -> None:
    got = link(ReportInfo("d1", date="20250301", text="EXAM: Chest radiograph, 2 views.\nIMPRESSION: Clear."))
    assert (got.study_uid, got.method) == ("1.4", "date_modality")


def test_one_day_apart_is_linked_with_lower_preference() -> None:
    overnight = link(ReportInfo("d1", date="2025-03-02", modality="CR"))
    assert (overnight.study_uid, overnight.method) == ("1.4", "date_modality")
    assert "one day apart" in overnight.detail
    # The same day beats the day after.
    next_day = study("4.1", "20250313", "MR")
    assert link(ReportInfo("d1", date="2025-03-12", modality="MR"), (next_day, MR_BRAIN)).study_uid == "1.3"


def test_a_report_dated_the_day_before_its_study_is_linked_and_noted() -> None:
    got = link(ReportInfo("d1", date="2025-02-28", modality="CR"))
    assert (got.study_uid, got.method) == ("1.4", "date_modality")
    assert "before its study" in got.detail


def test_two_cts_the_same_day_are_ambiguous() -> None:
    got = link(ReportInfo("d1", date="2025-03-12", modality="CT"))
    assert (got.study_uid, got.method) == (None, "ambiguous")
    assert set(got.candidates) == {"1.1", "1.2"}
    assert "choose" in got.detail


def test_the_body_region_tells_same_day_studies_apart() -> None:
    text = "EXAM: CT chest with contrast\nFINDINGS: ..."
    got = link(ReportInfo("d1", date="2025-03-12", text=text))
    assert (got.study_uid, got.method) == ("1.1", "date_modality")
    got = link(ReportInfo("d1", date="2025-03-12", modality="CT", region=("pelvis",)))
    assert got.study_uid == "1.2"
    got = link(ReportInfo("d1", date="2025-03-12", modality="CT", region=("knee",)))
    assert got.method == "ambiguous", "a region no study names decides nothing"


@pytest.mark.parametrize(
    "report",
    [
        ReportInfo("d1", date="2025-03-20", modality="CT"),  # no study within a day
        ReportInfo("d1", date="2025-03-12", modality="US"),  # that day, but no ultrasound
        ReportInfo("d1", modality="CT"),  # no date, no accession
        ReportInfo("d1", date="2025-03", modality="CT"),  # not a full date
    ],
)
def test_none(report: ReportInfo) -> None:
    got = link(report)
    assert (got.study_uid, got.method, got.candidates) == (None, "none", ())
    assert got.detail


def test_unknown_modality_links_by_date_alone_when_only_one_study_fits() -> None:
    got = link(ReportInfo("d1", date="2024-03-10", text="Some scanned text without an exam name."))
    assert (got.study_uid, got.method) == ("1.5", "date_modality")
    assert "modality is unknown" in got.detail
    assert link(ReportInfo("d1", date="2025-03-12")).method == "ambiguous"


def test_link_method_is_a_plain_string_too() -> None:
    got = link(ReportInfo("d1", date="2025-03-12", modality="CT"))
    assert got.method == "ambiguous" and json.dumps({"method": got.method}) == '{"method": "ambiguous"}'


def test_link_reports_keeps_order_and_is_one_per_report() -> None:
    reports = [ReportInfo(f"d{i}", date="2025-03-12", modality=m) for i, m in enumerate(["MR", "CT", "US"])]
    links = link_reports(reports, CASE)
    assert [(x.document_id, x.method) for x in links] == [
        ("d0", "date_modality"), ("d1", "ambiguous"), ("d2", "none")]
    assert link_reports([], CASE) == [] and link_reports(reports, [])[0].method == "none"


def test_report_info_from_parsed() -> None:
    parsed = ParsedDocument(media_type="application/pdf", date="2025-03-12", accession="X9",
                            text="EXAM: MRI brain")
    info = ReportInfo.from_parsed("doc-7", parsed)
    assert (info.document_id, info.accession, info.date, info.modality) == ("doc-7", "X9", "2025-03-12", "")
    assert link(info).study_uid == "1.3"


# --------------------------------------------------------------------------------------------
# COMPARISON priors
# --------------------------------------------------------------------------------------------


def test_prior_within_three_days() -> None:
    assert match_prior(PriorReference("CT chest 3/12/2024", "2024-03-12", "CT", "chest"), CASE) is PRIOR_CT
    assert match_prior(PriorReference("CT chest 3/13/2024", "2024-03-13", "CT", "chest"), CASE) is PRIOR_CT
    assert match_prior(PriorReference("CT chest 3/14/2024", "2024-03-14", "CT", "chest"), CASE) is None


def test_prior_modality_must_agree() -> None:
    assert match_prior(PriorReference("MRI chest 3/10/2024", "2024-03-10", "MR", "chest"), CASE) is None
    assert match_prior(PriorReference("radiograph 3/1/2025", "2025-03-01", "CR", "chest"), CASE) is XR_CHEST


def test_prior_region_must_agree_when_both_say_one() -> None:
    assert match_prior(PriorReference("CT head 3/10/2024", "2024-03-10", "CT", "head"), CASE) is None
    unlabelled = study("5.1", "20240310", "CT")
    assert match_prior(PriorReference("CT head 3/10/2024", "2024-03-10", "CT", "head"), (unlabelled,)) is unlabelled
    # Of two CTs that day, the one whose description names the region.
    got = match_prior(PriorReference("CT pelvis 3/12/2025", "2025-03-12", "CT", "pelvis"), CASE)
    assert got is CT_ABDOMEN


def test_prior_with_partial_or_no_date() -> None:
    assert match_prior(PriorReference("CT chest March 2024", "2024-03", "CT", "chest"), CASE) is PRIOR_CT
    assert match_prior(PriorReference("CT chest from 2023", "2023", "CT", "chest"), CASE) is OLD_CT
    assert match_prior(PriorReference("CT chest from 2022", "2022", "CT", "chest"), CASE) is None
    undated = PriorReference("prior CT chest from last year", "", "CT", "chest")
    assert match_prior(undated, CASE, exclude={"1.1"}) is PRIOR_CT, "the most recent, not the report's own study"
    assert match_prior(PriorReference("??", "12/2024", "CT", ""), CASE) is None, "unreadable date: not claimed"


# --------------------------------------------------------------------------------------------
# The demo case end to end: its report links to its CT; its COMPARISON prior is on the CD
# --------------------------------------------------------------------------------------------


def _studies_of(case_studies: tuple[object, ...]) -> tuple[Study, ...]:
    out = []
    for s in case_studies:
        uid, date, modality = s.study_uid, s.date, s.modality  # type: ignore[attr-defined]
        out.append(study(uid, date, modality, description=s.description, accession=s.accession))  # type: ignore[attr-defined]
    return tuple(out)


def test_demo_report_links_and_its_prior_is_present(tmp_path: Path) -> None:
    case = write_demo(tmp_path / "d", ct_slices=4, matrix=32)
    studies = _studies_of(case.studies)
    text = "\n".join(p.extract_text() for p in PdfReader(case.documents_dir / "CT_Chest_Report.pdf").pages)
    accession = re.search(r"Accession\s+(\S+)", text)
    assert accession is not None
    current = next(s for s in case.studies if s.accession == accession.group(1))
    iso = f"{current.date[:4]}-{current.date[4:6]}-{current.date[6:]}"

    by_accession = link(ReportInfo("ct", accession=accession.group(1), date=iso, text=text), studies)
    assert (by_accession.study_uid, by_accession.method) == (current.study_uid, "accession")
    by_date = link(ReportInfo("ct", date=iso, text=text), studies)
    assert (by_date.study_uid, by_date.method) == (current.study_uid, "date_modality")

    _, priors, _ = analyse_report(text, report_date=iso)
    [prior] = priors
    found = match_prior(prior, studies, exclude={current.study_uid})
    assert found is not None and found.study_uid != current.study_uid
    assert found.date == prior.date.replace("-", "") and "LOW DOSE" in found.description
    # Without the prior on the CD, the checklist would list it as missing.
    assert match_prior(prior, [s for s in studies if s.study_uid != found.study_uid]) is None
