"""Text extraction and classification of a long PDF record (target: 200 pages under 5 s).

    python benchmarks/pdf_bench.py [--pages 200] [--repeat 3]

The record is written with reportlab's platypus, as real reports are typeset: a letterhead, a
patient table, headed sections of wrapped paragraphs and a lab table every tenth page, about
3,500 characters a page. Timed separately: ``pdftext.parse`` (pypdf; layout order for the first
pages), ``classify`` + the ``find_*`` readers, and ``read_document`` (everything the import does
for a PDF, report language included). The median of ``--repeat`` runs is printed as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path


def _report(pages: int) -> bytes:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    course = (
        "The patient was admitted for evaluation of an enlarging right upper lobe nodule and "
        "persistent cough. Vital signs remained stable throughout the stay. Laboratory values were "
        "within normal limits except for a mild normocytic anemia, which was monitored. Pulmonology "
        "and thoracic surgery were consulted; the plan was discussed with the patient and her family, "
        "who agreed with staging before any decision about surgery. "
    )
    story = [
        Paragraph("Lakeside University Hospital", styles["Title"]),
        Paragraph("DISCHARGE SUMMARY", styles["Heading2"]),
        Table([["Patient", "Doe, Jane", "MRN", "BENCH-0001"],
               ["DOB", "23 August 1962", "Discharge date", "25 September 2026"]]),
    ]
    for page in range(pages):
        story.append(Paragraph("HOSPITAL COURSE" if page == 0 else f"HOSPITAL COURSE, DAY {page + 1}",
                               styles["Heading4"]))
        story += [Paragraph(course * 2, body) for _ in range(4)]
        if page % 10 == 9:
            story.append(Table([["Test", "Result", "Units", "Reference range"],
                                ["Hemoglobin", "11.8", "g/dL", "12.0-15.5"],
                                ["Creatinine", "0.91", "mg/dL", "0.50-1.10"],
                                ["Sodium", "137", "mmol/L", "135-145"]]))
        story.append(PageBreak())
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=LETTER, title="Discharge summary", invariant=1).build(story)
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from bundler.classify import classify, find_accession, find_facility, find_identity, find_service_date
    from bundler.ingest.documents import read_document
    from bundler.ingest.pdftext import parse

    data = _report(args.pages)
    extract, understand, whole = [], [], []
    kind = ""
    pages = characters = 0
    with tempfile.TemporaryDirectory() as scratch:  # synthetic data only
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            doc = parse(data, name="long.pdf")
            t1 = time.perf_counter()
            kind = classify(doc.text, title=doc.title)[0].value
            find_identity(doc.text)
            find_service_date(doc.text)
            find_facility(doc.text)
            find_accession(doc.text)
            t2 = time.perf_counter()
            read_document(data, media_type="application/pdf", name="long.pdf", scratch=Path(scratch))
            t3 = time.perf_counter()
            extract.append(t1 - t0)
            understand.append(t2 - t1)
            whole.append(t3 - t2)
            pages, characters = doc.pages or 0, len(doc.text)
    print(json.dumps({
        "pages": pages,
        "bytes": len(data),
        "characters": characters,
        "kind": kind,
        "extract_seconds": round(statistics.median(extract), 2),
        "classify_and_find_seconds": round(statistics.median(understand), 2),
        "read_document_seconds": round(statistics.median(whole), 2),
        "target_seconds": 5,
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
