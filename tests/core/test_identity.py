"""The identity check: one patient across all records, names compared sensibly."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from bundler.identity import (
    ParsedName,
    check_identity,
    claims_from_case,
    identity_json,
    parse_date,
    parse_name,
    same_name,
)
from bundler.model import (
    ContactDetails,
    Document,
    IdentityClaim,
    IdentityStatus,
    Instance,
    Intake,
    Patient,
    PersonIdentity,
    Series,
    Study,
)

ZOE_PN = "Muñoz-Šimková^Zoë"
ZOE_DOB = "19620823"

# ------------------------------------------------------------------------------- parse_name


def test_parse_dicom_pn_components() -> None:
    assert parse_name("Muñoz-Šimková^Zoë^Ana^Sra.^III") == ParsedName(
        family="Muñoz-Šimková", given="Zoë", middle="Ana", prefix="Sra.", suffix="III"
    )
    assert parse_name("SMITH") == ParsedName(family="SMITH", order_known=False)


def test_parse_multi_group_pn() -> None:
    name = parse_name("Yamada^Tarou=山田^太郎=やまだ^たろう")
    assert (name.family, name.given) == ("Yamada", "Tarou")
    assert [(g.family, g.given) for g in name.alternates] == [("山田", "太郎"), ("やまだ", "たろう")]
    ideographic_only = parse_name("=山田^太郎")
    assert (ideographic_only.family, ideographic_only.given, ideographic_only.alternates) == ("山田", "太郎", ())


def test_parse_last_comma_first() -> None:
    assert parse_name("MUÑOZ-ŠIMKOVÁ, Zoë Ana") == ParsedName(family="MUÑOZ-ŠIMKOVÁ", given="Zoë", middle="Ana")
    assert parse_name("Smith, John, Jr.") == ParsedName(family="Smith", given="John", suffix="Jr.")


def test_parse_free_text_with_titles_and_suffixes() -> None:
    assert parse_name("Dr. John Q  Smith III") == ParsedName(
        family="Smith", given="John", middle="Q", prefix="Dr.", suffix="III", order_known=False
    )
    assert parse_name("Sra. Zoë Muñoz Šimková") == ParsedName(
        family="Šimková", given="Zoë", middle="Muñoz", prefix="Sra.", order_known=False
    )
    # "Last-name, MD" is a suffix, not "Last, First".
    assert parse_name("Zoë Muñoz-Šimková, MD") == ParsedName(
        family="Muñoz-Šimková", given="Zoë", suffix="MD", order_known=False
    )


@pytest.mark.parametrize("text", ["", "   ", "^^^^", "=", ",,,", "...", "^=^="])
def test_parse_empty_names(text: str) -> None:
    assert parse_name(text).is_empty and parse_name(text).groups == ()


# -------------------------------------------------------------------------------- same_name

SAME = [
    # formats
    (ZOE_PN, "Muñoz-Šimková, Zoë"),
    (ZOE_PN, "Zoë Muñoz-Šimková"),
    ("MUNOZ^ZOE", "Zoe Munoz"),
    # case and accents
    (ZOE_PN, "MUNOZ-SIMKOVA^ZOE"),
    ("Zoë Muñoz", "ZOE MUNOZ"),
    ("Straße^Jörg", "STRASSE, JORG"),
    ("Søren Æbeltoft", "Soren Aebeltoft"),
    ("Łukasz Wałęsa", "LUKASZ WALESA"),
    ("Đorđe Jović", "Dorde Jovic"),
    ("Þórsson^Ægir", "THORSSON, AEGIR"),
    # compound family names: hyphen or not, or one of the two only
    (ZOE_PN, "Munoz Simkova, Zoe"),
    (ZOE_PN, "MUNOZ SIMKOVA ZOE"),
    (ZOE_PN, "Zoe Munoz Simkova"),
    (ZOE_PN, "Zoë Muñoz"),
    (ZOE_PN, "Zoë Šimková"),
    (ZOE_PN, "Muñoz y Šimková, Zoë"),
    ("McDonald^Ann", "Ann Mc Donald"),
    ("O'Brien^Sean", "Sean OBrien"),
    # order: given and family swapped, family first without a comma
    ("ZOE^MUNOZ", "Munoz^Zoe"),
    ("MUNOZ ZOE", "Zoe Munoz"),
    # a missing middle name, initials, titles, degrees, whitespace and punctuation
    ("Muñoz-Šimková^Zoë^Ana", "Zoë Muñoz-Šimková"),
    (ZOE_PN, "Z. Muñoz-Šimková"),
    ("Smith^J^Q", "John Quincy Smith"),
    (ZOE_PN, "Sra. Zoë Muñoz-Šimková"),
    ("Smith^John", "Mr. John Smith, MD"),
    ("Smith^John^^^Jr", "John Smith"),
    (ZOE_PN, "  muñoz-šimková ,   zoë.  "),
    # Japanese multi-group PN: any group may match
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "TAROU YAMADA"),
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "山田 太郎"),
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "山田太郎"),
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "やまだ^たろう"),
    ("=山田^太郎", "Yamada^Tarou=山田^太郎"),
]

DIFFERENT = [
    ("Zoe Munoz", "Zoe Martinez"),
    ("MUNOZ^ZOE", "Martinez^Ana"),
    ("John Smith", "Jane Smith"),
    ("Smith^John", "Smith^Jane"),
    ("Smith^John^^^Jr", "John Smith Sr."),
    ("Yamada^Tarou=山田^太郎=やまだ^たろう", "山田^花子"),
    ("Yamada^Tarou", "Tanaka^Tarou"),
    ("Nguyen^Anh", "Le^Anh"),
    ("de Jong^Anna", "de Vries^Anna"),
    ("Garcia^Maria", "Maria^Lopez"),
    (ZOE_PN, "Muñoz-Šimková^Ana"),
    (ZOE_PN, ""),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_name(a: str, b: str) -> None:
    assert same_name(a, b) and same_name(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names(a: str, b: str) -> None:
    assert not same_name(a, b) and not same_name(b, a)


# ------------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("19620823", "1962-08-23"),
        ("1962-08-23", "1962-08-23"),
        (" 1962-8-3 ", "1962-08-03"),
        ("1962.08.23", "1962-08-23"),  # ACR-NEMA
        ("1962-08-23T10:30:00+02:00", "1962-08-23"),
        ("196208231030+0100", "1962-08-23"),  # DICOM DT
        ("196208", "1962-08"),
        ("1962-08", "1962-08"),
        ("1962", "1962"),
        ("19620230", ""),  # no such day
        ("19621323", ""),
        ("23/08/1962", ""),  # day first is ambiguous: not read
        ("", ""),
        ("unknown", ""),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


# ---------------------------------------------------------------------------- check_identity


def _claim(ref: str, name: str = "", dob: str = "", *, id: str = "", sex: str = "", issuer: str = "",
           source: str = "") -> IdentityClaim:
    if not source:
        source = {"study": "dicom", "document": "document", "intake": "intake"}[ref.split(":")[0]]
    return IdentityClaim(ref=ref, label=ref, name=name, birth_date=dob, id=id, sex=sex, issuer=issuer,
                         source=source)


def test_no_claims_is_unknown() -> None:
    report = check_identity([])
    assert report.status is IdentityStatus.UNKNOWN and not report.stop and report.persons == ()
    assert report.message


def test_claims_without_name_or_birth_date_count_for_nothing() -> None:
    report = check_identity([
        _claim("study:1", id="X1"),
        _claim("study:2", "ANONYMOUS^PATIENT", id="X2"),
        _claim("document:a", "No Name", id="X3"),
        _claim("document:b", "^^^", "not a date"),
    ])
    assert report.status is IdentityStatus.UNKNOWN and report.persons == ()
    report = check_identity([_claim("study:1", ZOE_PN, ZOE_DOB), _claim("document:a", "", id="OTHER")])
    assert report.status is IdentityStatus.CONSISTENT
    assert report.persons[0].refs == ("study:1",)


def test_one_person_written_many_ways_is_consistent() -> None:
    report = check_identity([
        _claim("study:1", ZOE_PN, ZOE_DOB, id="LUH-1", sex="F", issuer="Lakeside University Hospital"),
        _claim("study:2", "MUNOZ SIMKOVA^ZOE", "19620823", id="RIC-9", sex="F", issuer="Riverside Imaging"),
        _claim("document:a", "Muñoz-Šimková, Zoë", "1962-08-23", id="LUH-1", issuer="Lakeside University Hospital"),
        _claim("document:b", "Zoe Munoz", "1962-08", sex="female"),  # partial dates are not compared
        _claim("document:c", "", "1962-08-23"),  # a birth date alone joins its person
        _claim("intake:patient", "Zoë Muñoz Šimková", "1962-08-23"),
    ])
    assert report.status is IdentityStatus.CONSISTENT, report.conflicts
    assert report.conflicts == () and not report.stop
    (person,) = report.persons
    assert person.names[0] == ZOE_PN
    assert person.birth_dates[0] == "1962-08-23" and "1962-08" in person.birth_dates
    assert person.ids == ("LUH-1", "RIC-9")  # different MRNs from different hospitals are normal
    assert set(person.refs) == {"study:1", "study:2", "document:a", "document:b", "document:c", "intake:patient"}


def test_a_document_naming_someone_else_is_a_stop() -> None:
    report = check_identity([
        _claim("study:1.2.3", "MUNOZ^ZOE", ZOE_DOB),
        _claim("study:1.2.4", ZOE_PN, ZOE_DOB),
        _claim("document:abc", "Martinez^Ana"),
    ])
    assert report.status is IdentityStatus.MISMATCH and report.stop
    assert len(report.persons) == 2
    (conflict,) = report.conflicts
    assert conflict.field == "name" and conflict.stop
    assert conflict.values == (("MUNOZ^ZOE", ("study:1.2.3", "study:1.2.4")), ("Martinez^Ana", ("document:abc",)))
    assert "Martinez" not in conflict.message and "Martinez" not in report.message


def test_same_name_different_birth_date_is_a_stop() -> None:
    report = check_identity([
        _claim("study:1", "Smith^John", "19700101"),
        _claim("document:a", "John Smith", "1971-02-03"),
    ])
    assert report.status is IdentityStatus.MISMATCH
    (conflict,) = report.conflicts
    assert conflict.field == "birth_date" and conflict.stop
    assert conflict.values == (("1970-01-01", ("study:1",)), ("1971-02-03", ("document:a",)))


def test_a_birth_date_alone_that_fits_nobody_is_another_person() -> None:
    report = check_identity([_claim("study:1", ZOE_PN, ZOE_DOB), _claim("document:a", "", "1980-01-01")])
    assert report.status is IdentityStatus.MISMATCH
    assert [c.field for c in report.conflicts] == ["birth_date"]


def test_initials_do_not_chain_two_people_together() -> None:
    report = check_identity([
        _claim("study:1", "Smith^John"),
        _claim("document:a", "J. Smith"),
        _claim("document:b", "Jane Smith"),
    ])
    assert report.status is IdentityStatus.MISMATCH
    assert len(report.persons) == 2
    assert report.conflicts[0].field == "name"


def test_same_issuer_different_ids_needs_attention() -> None:
    report = check_identity([
        _claim("study:1", ZOE_PN, ZOE_DOB, id="LUH-4471203", issuer="Lakeside University Hospital"),
        _claim("document:a", "Zoë Muñoz", id="LUH-4471230", issuer="LAKESIDE  university hospital"),
        _claim("document:b", "Zoë Muñoz", id="luh-4471203 ", issuer="Lakeside University Hospital"),
        _claim("document:c", "Zoë Muñoz", id="998877"),  # issuer unknown: nothing to compare with
    ])
    assert report.status is IdentityStatus.ATTENTION and not report.stop
    (conflict,) = report.conflicts
    assert conflict.field == "id" and not conflict.stop
    assert conflict.values == (("LUH-4471203", ("study:1", "document:b")), ("LUH-4471230", ("document:a",)))


def test_different_ids_from_different_hospitals_are_fine() -> None:
    report = check_identity([
        _claim("study:1", ZOE_PN, ZOE_DOB, id="LUH-4471203", issuer="Lakeside University Hospital"),
        _claim("study:2", ZOE_PN, ZOE_DOB, id="RIC-0042", issuer="Riverside Imaging Center"),
    ])
    assert report.status is IdentityStatus.CONSISTENT and report.conflicts == ()


def test_same_name_differing_sex_needs_attention() -> None:
    report = check_identity([
        _claim("study:1", ZOE_PN, ZOE_DOB, sex="F"),
        _claim("study:2", ZOE_PN, ZOE_DOB, sex="M"),
        _claim("document:a", "Zoë Muñoz", sex=""),
    ])
    assert report.status is IdentityStatus.ATTENTION and not report.stop
    (conflict,) = report.conflicts
    assert conflict.field == "sex" and conflict.values == (("F", ("study:1",)), ("M", ("study:2",)))


def test_intake_disagreeing_with_the_records() -> None:
    records = [_claim("study:1", ZOE_PN, ZOE_DOB), _claim("document:a", "Muñoz-Šimková, Zoë", "1962-08-23")]
    by_name = check_identity([*records, _claim("intake:patient", "Ana Martinez", "1962-08-23")])
    assert by_name.status is IdentityStatus.MISMATCH and by_name.stop
    assert by_name.message.startswith("The records are not about the person named in your details")
    assert by_name.conflicts[0].field == "name"
    assert by_name.conflicts[0].values[-1] == ("Ana Martinez", ("intake:patient",))
    assert by_name.persons[-1].refs == ("intake:patient",)

    by_birth = check_identity([*records, _claim("intake:patient", "Zoe Munoz", "1962-03-28")])
    assert by_birth.status is IdentityStatus.MISMATCH
    assert [c.field for c in by_birth.conflicts] == ["birth_date"]
    assert by_birth.conflicts[0].values == (("1962-08-23", ("study:1", "document:a")), ("1962-03-28", ("intake:patient",)))

    agreeing = check_identity([*records, _claim("intake:patient", "Zoe Munoz-Simkova", "1962-08-23")])
    assert agreeing.status is IdentityStatus.CONSISTENT


def test_intake_alone_is_nothing_to_compare() -> None:
    report = check_identity([_claim("intake:patient", "Zoe Munoz", "1962-08-23")])
    assert report.status is IdentityStatus.UNKNOWN and not report.stop


def test_messages_carry_no_patient_data() -> None:
    claims = [
        _claim("study:1", ZOE_PN, ZOE_DOB, id="LUH-1", issuer="L", sex="F"),
        _claim("study:2", ZOE_PN, ZOE_DOB, id="LUH-2", issuer="L", sex="M"),
        _claim("document:a", "Martinez^Ana", "1970-01-01"),
        _claim("intake:patient", "Pérez^Luis", "1950-05-05"),
    ]
    report = check_identity(claims)
    texts = [report.message, *(c.message for c in report.conflicts)]
    for text in texts:
        assert text and text.count(".") <= 2
        for secret in ("Mu", "Zo", "Martinez", "Ana", "Luis", "LUH", "1962", "1970", "1950"):
            assert secret not in text
    assert {c.field for c in report.conflicts} == {"name", "birth_date", "id", "sex"}


# ----------------------------------------------------------------------------- claims_from_case


def _instance(study_uid: str, patient: Patient, n: int, *, modality: str = "CT") -> Instance:
    return Instance(
        sop_instance_uid=f"{study_uid}.{n}", sop_class_uid="1.2.840.10008.5.1.4.1.1.2", sha256=f"{n:064x}",
        size=1, study_uid=study_uid, series_uid=f"{study_uid}.9", patient=patient, modality=modality,
    )


def _study(uid: str, patients: list[Patient], *, desc: str = "CHEST WO CONTRAST", modality: str = "CT",
           date: str = "20260303", institution: str = "Riverside Imaging Center") -> Study:
    instances = tuple(_instance(uid, p, n, modality=modality) for n, p in enumerate(patients))
    series = (Series(f"{uid}.9", modality, "AXIAL", 1, "CHEST", instances),)
    return Study(uid, date, "", desc, "A1", "", institution, patients[0], series)


ZOE = Patient(name=ZOE_PN, id="LUH-4471203", birth_date=ZOE_DOB, sex="F")
ANA = Patient(name="Martinez^Ana", id="RIC-77", birth_date="19700101", sex="F")


def test_a_disc_with_two_patients_in_one_study() -> None:
    study = _study("1.2.3", [ZOE, ZOE, ZOE, ANA, ZOE])
    claims = claims_from_case([study], [])
    assert [(c.ref, c.name, c.id, c.issuer, c.source) for c in claims] == [
        ("study:1.2.3", ZOE_PN, "LUH-4471203", "Riverside Imaging Center", "dicom"),
        ("study:1.2.3", "Martinez^Ana", "RIC-77", "Riverside Imaging Center", "dicom"),
    ]
    assert claims[0].label == "CT CHEST WO CONTRAST, 2026-03-03"
    report = check_identity(claims)
    assert report.status is IdentityStatus.MISMATCH and report.stop
    fields = {c.field: c for c in report.conflicts}
    assert fields["name"].values == ((ZOE_PN, ("study:1.2.3",)), ("Martinez^Ana", ("study:1.2.3",)))
    assert fields["birth_date"].values == (("1962-08-23", ("study:1.2.3",)), ("1970-01-01", ("study:1.2.3",)))


def test_claims_from_documents_and_intake() -> None:
    studies = [_study("1.2.3", [ZOE], desc="CT CHEST", institution="Lakeside University Hospital"),
               _study("1.2.4", [ZOE], desc="XR CHEST PA", modality="CR", date="")]
    docs = [
        Document(id="d1", sha256="0" * 64, size=1, media_type="application/pdf", title="Visit note", source="x",
                 facility="Lakeside University Hospital",
                 patient=PersonIdentity(name="Muñoz-Šimková, Zoë", birth_date="1962-08-23", id="LUH-4471203")),
        Document(id="d2", sha256="1" * 64, size=1, media_type="application/pdf", title="Medication list", source="y"),
        Document(id="d3", sha256="2" * 64, size=1, media_type="application/pdf", title="", source="z",
                 patient=PersonIdentity(id="ONLY-AN-ID")),
    ]
    intake = Intake(patient=ContactDetails(name="Zoë Muñoz", birth_date="1962-08-23", phone="555"))
    claims = claims_from_case(studies, docs, intake)
    assert [(c.ref, c.label, c.issuer, c.source) for c in claims] == [
        ("study:1.2.3", "CT CHEST, 2026-03-03", "Lakeside University Hospital", "dicom"),
        ("study:1.2.4", "XR CHEST PA", "Riverside Imaging Center", "dicom"),
        ("document:d1", "Visit note", "Lakeside University Hospital", "document"),
        ("document:d3", "Document", "", "document"),
        ("intake:patient", "Your details", "", "intake"),
    ]
    assert check_identity(claims).status is IdentityStatus.CONSISTENT
    assert claims_from_case([], [], Intake())[-1:] == []


def test_identity_json_shape() -> None:
    report = check_identity([
        _claim("study:1", "MUNOZ^ZOE", ZOE_DOB, id="LUH-1"),
        _claim("document:abc", "Martinez^Ana"),
    ])
    data = identity_json(report)
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "mismatch" and data["stop"] is True and data["message"] == report.message
    assert data["persons"][0] == {"names": ["MUNOZ^ZOE"], "birth_dates": ["1962-08-23"], "ids": ["LUH-1"],
                                  "refs": ["study:1"]}
    assert data["conflicts"] == [{
        "field": "name", "stop": True, "message": report.conflicts[0].message,
        "values": [{"value": "MUNOZ^ZOE", "refs": ["study:1"]}, {"value": "Martinez^Ana", "refs": ["document:abc"]}],
    }]
    assert identity_json(check_identity([])) == {
        "status": "unknown", "stop": False, "message": check_identity([]).message, "persons": [], "conflicts": [],
    }


# ------------------------------------------------------------------------------ properties

_ACCENTS = {
    "a": "áàâäãå", "c": "çč", "e": "éèêëě", "i": "íìîï", "n": "ñń", "o": "óòôöõø", "s": "šś",
    "u": "úùûüů", "y": "ýÿ", "z": "žźż", "l": "ł", "r": "ř", "d": "đ",
}  # fmt: skip
_RESERVED = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "dra", "prof", "sr", "sra", "srta", "herr", "frau", "mme", "mlle", "rev",
    "jr", "ii", "iii", "iv", "md", "phd", "dds", "dmd", "rn", "np", "mba", "msc", "bsc", "mph", "esq", "od", "dpm",
    "de", "del", "der", "den", "di", "da", "das", "dos", "du", "la", "las", "le", "los", "van", "von", "ten", "ter",
    "st", "bin", "al", "el", "na", "none", "anon", "null", "facs", "facr", "facp", "frcp", "frcs", "frcr", "mbbs",
    "lpn", "crna", "dnp", "bint", "ibn", "binti", "della",
}  # fmt: skip


@st.composite
def _word(draw: st.DrawFn) -> tuple[str, str]:
    """A name word, plain ASCII and with accents on some letters."""
    letters = draw(st.lists(st.sampled_from("abcdeghiklmnoprstuvyz"), min_size=2, max_size=8))
    plain = "".join(letters)
    assume(plain not in _RESERVED)
    accented = "".join(
        draw(st.sampled_from(_ACCENTS[ch])) if ch in _ACCENTS and draw(st.booleans()) else ch for ch in letters
    )
    return plain.capitalize(), accented.capitalize()


_NAMES = st.tuples(st.lists(_word(), min_size=1, max_size=2), st.lists(_word(), min_size=1, max_size=2))
Words = list[tuple[str, str]]


def _renderings(family: list[str], given: list[str]) -> list[str]:
    hyphened, spaced, first = "-".join(family), " ".join(family), " ".join(given)
    return [
        f"{hyphened}^{first}",
        f"{hyphened}^{given[0]}^{' '.join(given[1:])}",
        f"{spaced}^{first}",
        f"{hyphened}, {first}",
        f"{spaced.upper()}, {first.upper()}",
        f"{first} {hyphened}",
        f"{first} {spaced}",
        f"{spaced} {first}",
        f"{first.lower()}   {hyphened.lower()}.",
        f"{first}^{hyphened}",  # swapped components
    ]


def _plain(words: Words) -> list[str]:
    return [p for p, _ in words]


def _accented(words: Words) -> list[str]:
    return [a for _, a in words]


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.text(), st.text())
def test_same_name_is_symmetric_and_never_raises(a: str, b: str) -> None:
    assert same_name(a, b) == same_name(b, a)


_NAMEISH = st.text(alphabet=st.sampled_from("abZöß łØ^=,.-'JrDIi山田"), max_size=30)


@PROPS
@given(st.one_of(st.text(), _NAMEISH), _NAMEISH)
def test_same_name_is_reflexive_and_symmetric_on_name_like_text(a: str, b: str) -> None:
    assert same_name(a, a) and same_name(b, b)
    assert same_name(a, b) == same_name(b, a)
    parse_name(a)


@PROPS
@given(_NAMES)
def test_same_name_ignores_case_accents_order_and_format(name: tuple[Words, Words]) -> None:
    family, given_ = name
    plain = _renderings(_plain(family), _plain(given_))
    accented = _renderings(_accented(family), _accented(given_))
    for x in accented:
        assert same_name(x, x.upper()) and same_name(x, x.lower())
        for y in plain:
            assert same_name(x, y), (x, y)
    # A missing middle name and an initial still match.
    assert same_name(accented[0], f"{given_[0][0][0]}. {'-'.join(_plain(family))}")
    assert same_name(accented[0], f"{_plain(given_)[0]} {' '.join(_plain(family))}")


@PROPS
@given(_NAMES, _NAMES)
def test_different_family_names_never_match(a: tuple[Words, Words], b: tuple[Words, Words]) -> None:
    fa, ga = (set(_plain(w)) for w in a)
    fb, gb = (set(_plain(w)) for w in b)
    assume(not fa & (fb | gb) and not fb & (fa | ga))  # family names differ entirely, and not by a swap
    for x in _renderings(_accented(a[0]), _accented(a[1])):
        for y in _renderings(_plain(b[0]), _plain(b[1])):
            assert not same_name(x, y), (x, y)


@PROPS
@given(st.text())
def test_parse_date_never_raises(text: str) -> None:
    iso = parse_date(text)
    assert iso == "" or len(iso) in (4, 7, 10)


@PROPS
@given(st.from_regex(r"\A[0-9]{4}([-./]?[0-9]{1,2}([-./]?[0-9]{1,2})?)?\Z"))
def test_parse_date_gives_real_dates(text: str) -> None:
    iso = parse_date(text)
    if len(iso) == 10:
        assert datetime.date.fromisoformat(iso).isoformat() == iso
    elif iso:
        assert iso[:4] == text[:4]


@PROPS
@given(st.dates(min_value=datetime.date(1850, 1, 1)))
def test_parse_date_reads_da_and_iso_alike(day: datetime.date) -> None:
    assert parse_date(day.strftime("%Y%m%d")) == parse_date(day.isoformat()) == day.isoformat()


# ------------------------------------------------------------------------------ a real case


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    from bundler.demo import write_demo

    demo = write_demo(tmp_path_factory.mktemp("demo") / "demo", ct_slices=4, matrix=16)
    yield demo.cd_dir, demo.documents_dir


def _foreign_ct(folder: Path) -> Path:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Martinez^Ana"
    ds.PatientID = "RIC-77"
    ds.PatientBirthDate = "19700101"
    ds.Modality = "CT"
    ds.StudyDescription = "CT ABDOMEN"
    ds.StudyDate = "20260301"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\0" * 32
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    folder.mkdir(parents=True)
    (folder / "IM0001").write_bytes(buf.getvalue())
    return folder


def test_the_demo_case_is_one_person(tmp_path: Path, demo_dirs: tuple[Path, Path]) -> None:
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    with CaseStore.open(tmp_path / "case", create=True) as store:
        import_sources(list(demo_dirs), store)
        studies, documents = store.studies(), store.documents()
        named = [d for d in documents if d.patient.name]
        assert named, "the demo's documents should name their patient"
        report = check_identity(claims_from_case(studies, documents))
        assert report.status in (IdentityStatus.CONSISTENT, IdentityStatus.ATTENTION), identity_json(report)
        assert not report.stop and len(report.persons) == 1
        assert {f"document:{d.id}" for d in named} <= set(report.persons[0].refs)
        assert {f"study:{s.study_uid}" for s in studies} <= set(report.persons[0].refs)

        # The patient's own details, as she would type them, agree; someone else's do not.
        own = Intake(patient=ContactDetails(name="Zoe Munoz Simkova", birth_date="1962-08-23"))
        assert not check_identity(claims_from_case(studies, documents, own)).stop
        other = Intake(patient=ContactDetails(name="Zoe Martinez", birth_date="1962-08-23"))
        wrong = check_identity(claims_from_case(studies, documents, other))
        assert wrong.status is IdentityStatus.MISMATCH
        assert wrong.message.startswith("The records are not about the person named in your details")

        # A foreign-patient disc added to the case is a stop sign.
        import_sources([_foreign_ct(tmp_path / "foreign")], store)
        report = check_identity(claims_from_case(store.studies(), store.documents()))
        assert report.status is IdentityStatus.MISMATCH and report.stop
        names = dict(next(c for c in report.conflicts if c.field == "name").values)
        assert "Martinez^Ana" in names and len(names) == 2
