"""Medication lists from spreadsheets: delimiters, encodings, headers in two languages, dates;
tables that are not medication lists."""

from __future__ import annotations

import datetime
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bundler.demo import DemoCase, write_demo
from bundler.ingest.medlist import parse, parse_date
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind, Medication, ParsedDocument

TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32, today=TODAY)


def _by_name(doc: ParsedDocument) -> dict[str, Medication]:
    return {m.name: m for m in doc.medications}


def test_demo_medication_list(demo: DemoCase) -> None:
    doc = parse((demo.documents_dir / "Medication_List.csv").read_bytes(), name="Medication_List.csv")
    assert doc.kind is DocumentKind.MEDICATION_LIST and doc.kind_confidence >= 0.9
    assert doc.kind_evidence == "a table with columns name, dose, frequency, start, notes"
    meds = _by_name(doc)
    assert list(meds) == ["Tiotropium inhaler", "Albuterol HFA inhaler", "Atorvastatin", "Lisinopril", "Aspirin"]
    current_ct = datetime.datetime.strptime(demo.studies[0].date, "%Y%m%d").date()
    lis = meds["Lisinopril"]
    assert (lis.dose, lis.frequency, lis.start, lis.notes) == (
        "10 mg", "once daily", datetime.date(current_ct.year - 6, 9, 30).isoformat(), "hypertension")
    assert meds["Albuterol HFA inhaler"].dose == "90 mcg/puff, 2 puffs"  # a quoted comma stays in its cell
    assert doc.media_type == "text/csv" and "Atorvastatin" in doc.text


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter: str) -> None:
    rows = [["Medication", "Dose", "How often", "Start date"],
            ["Metformin", "500 mg", "twice daily", "2021-04-01"],
            ["Levothyroxine", "75 mcg", "once daily", "2019-11-20"]]
    data = "\n".join(delimiter.join(r) for r in rows).encode()
    doc = parse(data, name="meds.txt")
    assert [(m.name, m.dose, m.frequency, m.start) for m in doc.medications] == [
        ("Metformin", "500 mg", "twice daily", "2021-04-01"), ("Levothyroxine", "75 mcg", "once daily", "2019-11-20")]
    assert doc.media_type == ("text/tab-separated-values" if delimiter == "\t" else "text/csv")


def test_semicolons_with_decimal_commas_and_a_title_line() -> None:
    data = ("Mis medicamentos (actualizado)\n"
            "Medicamento;Dosis;Pauta;Fecha de inicio;Hasta;Observaciones\n"
            "Paracetamol;0,5 g;cada 8 horas;05/03/2024;12/03/2024;si dolor\n"
            "Omeprazol;20 mg;en ayunas;1/2/2020;;\n").encode("utf-8")
    doc = parse(data, name="medicacion.csv")
    para, ome = doc.medications
    assert (para.name, para.dose, para.frequency) == ("Paracetamol", "0,5 g", "cada 8 horas")
    # Spanish headers: day first.
    assert (para.start, para.stop, para.notes) == ("2024-03-05", "2024-03-12", "si dolor")
    assert (ome.start, ome.stop) == ("2020-02-01", "")


def test_us_dates_under_english_headers_and_a_day_over_12_settles_the_column() -> None:
    us = b"Drug,Strength,Sig,Start\nLisinopril,10 mg,daily,03/05/2024\n"
    assert parse(us, name="m.csv").medications[0].start == "2024-03-05"
    eu = b"Drug,Strength,Sig,Start\nLisinopril,10 mg,daily,03/05/2024\nAspirin,81 mg,daily,25/12/2023\n"
    assert [m.start for m in parse(eu, name="m.csv").medications] == ["2024-05-03", "2023-12-25"]
    dotted = b"Drug,Strength,Sig,Start\nLisinopril,10 mg,daily,03.05.2024\n"
    assert parse(dotted, name="m.csv").medications[0].start == "2024-05-03"


def test_dates_as_precise_as_written_and_unreadable_ones_go_to_notes() -> None:
    data = (b"Name,Dose,Started,Stopped,Notes\n"
            b"Insulin glargine,20 units,March 2020,,\n"
            b"Vitamin D,1000 IU,2019,2024-06,\n"
            b"Salbutamol,100 mcg,since childhood,,rescue\n"
            b"Warfarin,5 mg,20230115,2023-02-30,\n")
    meds = _by_name(parse(data, name="m.csv"))
    assert meds["Insulin glargine"].start == "2020-03"
    assert (meds["Vitamin D"].start, meds["Vitamin D"].stop) == ("2019", "2024-06")
    assert (meds["Salbutamol"].start, meds["Salbutamol"].notes) == ("", "start: since childhood; rescue")
    assert meds["Warfarin"].start == "2023-01-15"
    assert (meds["Warfarin"].stop, meds["Warfarin"].notes) == ("", "stop: 2023-02-30")  # no 30 February


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
     ("cp1252", b"")],
)
def test_encodings(encoding: str, bom: bytes) -> None:
    text = ("Medicamento\tDosis\tMotivo\n"
            "Metamizol (Nolotil®)\t575 mg\tdolor de cabeza — leve\n"
            "Ácido fólico\t5 mg\t\n")
    doc = parse(bom + text.encode(encoding), name="lista.tsv")
    assert [m.name for m in doc.medications] == ["Metamizol (Nolotil®)", "Ácido fólico"]
    assert doc.medications[0].notes == "para: dolor de cabeza — leve"


def test_one_column_list_and_status_and_route() -> None:
    one = parse(b"Medications\nMetformin 500 mg twice daily\nAtorvastatin 20 mg\n", name="meds.csv")
    assert one.kind is DocumentKind.MEDICATION_LIST and len(one.medications) == 2
    data = b"Medication,Route,Status,Side effects\nMorphine,oral,Discontinued,constipation\nAspirin,PO,active,\n"
    morphine, aspirin = parse(data, name="m.csv").medications
    assert (morphine.route, morphine.status, morphine.notes) == ("oral", "stopped", "side effects: constipation")
    assert (aspirin.route, aspirin.status) == ("PO", "active")


def test_lab_table_is_a_lab_result() -> None:
    data = (b"Test,Result,Units,Reference range,Flag,Collected\n"
            b"Hemoglobin,11.8,g/dL,12.0-15.5,L,2026-09-06\n"
            b"Creatinine,0.91,mg/dL,0.50-1.10,,2026-09-06\n"
            b"Glucose,104 H,mg/dL,70-99,,2026-09-25\n")
    doc = parse(data, name="labs.csv")
    assert doc.kind is DocumentKind.LAB_RESULT and not doc.medications
    assert doc.date == "2026-09-25"
    hb, cr, glu = doc.results
    assert (hb.name, hb.value, hb.unit, hb.reference_range, hb.flag, hb.date) == (
        "Hemoglobin", "11.8", "g/dL", "12.0-15.5", "L", "2026-09-06")
    assert cr.flag == "" and (glu.value, glu.flag) == ("104", "H")


def test_wide_lab_table_with_one_column_per_date() -> None:
    data = (b"Test,Units,Reference range,2026-08-21,2026-09-06\n"
            b"WBC,10^3/uL,4.0-11.0,7.8,8.4\nHemoglobin,g/dL,12.0-15.5,12.6,11.8 L\n")
    doc = parse(data, name="labs.csv")
    assert doc.kind is DocumentKind.LAB_RESULT
    assert [(r.name, r.value, r.flag, r.date) for r in doc.results] == [
        ("WBC", "7.8", "", "2026-08-21"), ("WBC", "8.4", "", "2026-09-06"),
        ("Hemoglobin", "12.6", "", "2026-08-21"), ("Hemoglobin", "11.8", "L", "2026-09-06")]


def test_spanish_lab_table() -> None:
    data = "Prueba;Resultado;Unidades;Valores de referencia;Fecha\nHemoglobina;13,1;g/dL;12-16;05/03/2024\n"
    doc = parse(data.encode("cp1252"), name="analitica.csv")
    assert doc.kind is DocumentKind.LAB_RESULT
    assert (doc.results[0].value, doc.results[0].date) == ("13,1", "2024-03-05")


def test_other_tables_are_plain_documents() -> None:
    for data in (b"Name,Phone,Email\nDr Okafor,555-0142,clinic@example.org\n",
                 b"Date,Steps,Weight\n2024-01-01,8000,71.2\n",
                 b"just one line of text\n"):
        doc = parse(data, name="other.csv")
        assert doc.kind is DocumentKind.OTHER and not doc.medications and not doc.results, data
        assert doc.text == data.decode().strip()


def test_empty_and_header_only_tables() -> None:
    assert parse(b"", name="e.csv").needs_label
    doc = parse(b"name,dose\n", name="h.csv")
    assert doc.kind is DocumentKind.MEDICATION_LIST and doc.medications == ()
    assert doc.problems_found == ("the medication table has no rows",)


def test_too_large() -> None:
    with pytest.raises(DocumentReadError) as e:
        parse(b"a" * (20 * 1024 * 1024 + 1), name="big.csv")
    assert e.value.reason == "too_large"


def test_many_rows_are_capped_quickly() -> None:
    data = b"Drug,Dose\n" + b"Paracetamol,500 mg\n" * 50_000
    t = time.perf_counter()
    doc = parse(data, name="big.csv")
    assert time.perf_counter() - t < 5
    assert len(doc.medications) == 5000 and doc.problems_found == ("only the first 5000 rows were read",)


def test_parse_date() -> None:
    cases = {
        ("2024-03-05", False): "2024-03-05",
        ("2024-03-05T10:20:00Z", False): "2024-03-05",
        ("2024/3/5", False): "2024-03-05",
        ("20240305", False): "2024-03-05",
        ("03/05/2024", False): "2024-03-05",
        ("03/05/2024", True): "2024-05-03",
        ("3-5-24", False): "2024-03-05",
        ("05/1962", False): "1962-05",
        ("5 March 2024", False): "2024-03-05",
        ("March 5, 2024", False): "2024-03-05",
        ("5 de marzo de 2024", True): "2024-03-05",
        ("", False): "",
        ("13/13/2024", False): None,
        ("yesterday", False): None,
        ("2024-13", False): None,
    }
    for (value, day_first), expected in cases.items():
        assert parse_date(value, day_first=day_first) == expected, value


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=20), max_size=6),
                max_size=12),
       st.sampled_from([",", ";", "\t", "|", " "]), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_odd_tables_never_raise_anything_else(rows: list[list[str]], delimiter: str, encoding: str) -> None:
    header = [["name", "dose", "start"], ["Test", "Result", "Units"], []][len(rows) % 3]
    text = "\n".join(delimiter.join(r) for r in [header, *rows])
    data = text.encode(encoding, errors="replace")
    t = time.perf_counter()
    try:
        doc = parse(data, name="fuzz.csv")
    except DocumentReadError as e:
        assert e.reason in ("csv_malformed", "too_large")
        return
    assert time.perf_counter() - t < 2
    assert doc.kind in (DocumentKind.MEDICATION_LIST, DocumentKind.LAB_RESULT, DocumentKind.OTHER)
    for m in doc.medications:
        assert m.name and all(parse_date(d, day_first=False) is not None for d in (m.start, m.stop))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data: bytes) -> None:
    try:
        parse(data, name="x.csv")
    except DocumentReadError:
        pass
