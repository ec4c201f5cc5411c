"""The completeness check and the timeline on a large case (target: check under 1 s).

    python benchmarks/check_bench.py [--instances 20000] [--documents 200] [--repeat 5]

The case is written straight into a case store (no pixel files: the check reads only the
index): 100 studies of realistic header values and series of 20–200 instances, and documents
of every kind with report text, priors and flagged phrases, medications and lab results, as
the readers produce them. Timed: ``check_case`` (reading the case, linking reports, every rule)
and ``build_timeline``, each the median of ``--repeat`` runs in one warm process, and the
first run in a fresh process (``records-bundler check``, imports included). Prints JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bundler.model import (
    DicomObjectKind,
    Document,
    DocumentKind,
    FlaggedPhrase,
    ImportStatus,
    Instance,
    LabResult,
    LogRow,
    Medication,
    ParsedDocument,
    Patient,
    PersonIdentity,
    PriorReference,
    Reason,
)
from bundler.store import BlobRecord, CaseStore

_REPORT = """EXAM: {exam}
CLINICAL HISTORY: Follow-up of a pulmonary nodule.
TECHNIQUE: Axial images were obtained after intravenous contrast.
COMPARISON: CT chest of {prior}.
FINDINGS: A {size} mm solid nodule in the right upper lobe, previously smaller. No pleural effusion.
No lymphadenopathy. The heart is normal in size. Degenerative changes of the thoracic spine.
IMPRESSION: Growing right upper lobe nodule, suspicious for malignancy. Lung-RADS 4B.
Cannot exclude a small adrenal adenoma; follow-up recommended.
"""


def _sha(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def build(case: Path, *, instances: int, documents: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    patient = Patient("BENCH^JANE", "B0001", "19600101", "F")
    store = CaseStore.open(case, create=True)
    run = store.begin_run()
    studies = 100
    per_study = instances // studies
    modalities = ["CT", "MR", "CR", "US", "PT"]
    dates = []
    rows: list[Instance] = []
    for s in range(studies):
        modality = modalities[s % len(modalities)]
        day = f"20{10 + s // 12:02d}{s % 12 + 1:02d}{rng.randint(1, 28):02d}"
        dates.append((day, modality, f"ACC{s:05d}"))
        remaining, series = per_study, 0
        while remaining > 0:
            n = min(remaining, rng.randint(20, 200))
            for k in range(n):
                rows.append(Instance(
                    sop_instance_uid=f"1.2.9.{s}.{series}.{k}", sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                    sha256=_sha(s, series, k), size=525_000, study_uid=f"1.2.9.{s}",
                    series_uid=f"1.2.9.{s}.{series}", patient=patient, study_date=day, study_time="101500",
                    study_description=f"{modality} CHEST WITH CONTRAST", accession=f"ACC{s:05d}",
                    institution="Riverside Imaging Center", modality=modality, body_part="CHEST",
                    series_description=f"AX {series}", series_number=series + 1, instance_number=k + 1,
                    transfer_syntax_uid="1.2.840.10008.1.2.1", kind=DicomObjectKind.IMAGE,
                    image_type="ORIGINAL\\PRIMARY\\AXIAL", promised_count=n, source="/media/cd/file"))
            remaining -= n
            series += 1
    kinds = [DocumentKind.RADIOLOGY_REPORT, DocumentKind.VISIT_NOTE, DocumentKind.LAB_RESULT,
             DocumentKind.PATHOLOGY_REPORT, DocumentKind.MEDICATION_LIST]
    docs: list[tuple[Document, ParsedDocument]] = []
    for i in range(documents):
        kind = kinds[i % len(kinds)]
        day, modality, accession = dates[i % studies]
        iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        text = _REPORT.format(exam=f"{modality} chest with contrast", prior="12 March 2010", size=6 + i % 9) * 3
        who = PersonIdentity("Jane Bench", "1960-01-01", "B0001")
        parsed = ParsedDocument(
            media_type="application/pdf", title=f"{kind.value} {i}", kind=kind, date=iso, facility="Lakeside",
            patient=who, text=text, accession=accession if kind == DocumentKind.RADIOLOGY_REPORT else "",
            priors=(PriorReference("CT chest of 12 March 2010", "2010-03-12", "CT", "chest"),),
            flags=(FlaggedPhrase("hedge", "cannot exclude", "Cannot exclude a small adrenal adenoma."),),
            medications=(Medication("Lisinopril", "10 mg", start="2020-01-01"),) if i % 5 == 4 else (),
            results=tuple(LabResult(f"Test {k}", str(k), "mg/dL", iso) for k in range(20)) if i % 5 == 2 else (),
        )
        sha = _sha("doc", i)
        docs.append((Document(id=sha[:16], sha256=sha, size=40_000, media_type="application/pdf", title=parsed.title,
                              source="/media/docs/file.pdf", kind=kind, date=iso, facility="Lakeside",
                              patient=who, accession=parsed.accession), parsed))
    blobs = [BlobRecord(i.sha256, i.size) for i in rows] + [BlobRecord(d.sha256, d.size) for d, _ in docs]
    log = [LogRow("/media/file", ImportStatus.IMPORTED, Reason.DICOM)] * len(rows)
    store.commit_batch(run, rows=log, blobs=blobs, instances=rows, documents=docs)
    store.finish_run(run)
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", type=int, default=20_000)
    ap.add_argument("--documents", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from bundler.checklist import check_case
    from bundler.timeline import build_timeline

    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case"
        build(case, instances=args.instances, documents=args.documents)
        cli_cold = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bundler.cli", "check", "--case", str(case), "--json"],
                              capture_output=True, text=True, check=False)
        cli_cold = time.perf_counter() - cli_cold
        assert proc.returncode in (0, 1), proc.stderr
        items = len(json.loads(proc.stdout)["items"])
        cold, warm, timeline_times, cpu = [], [], [], []
        for _ in range(args.repeat):
            with CaseStore.open(case) as store:  # a fresh open: nothing read yet
                t, c = time.perf_counter(), time.process_time()
                check_case(store)
                cold.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                t = time.perf_counter()
                check_case(store)  # the app's re-check after an edit of the intake
                warm.append(time.perf_counter() - t)
                t = time.perf_counter()
                events = build_timeline(store)
                timeline_times.append(time.perf_counter() - t)
    print(json.dumps({
        "instances": args.instances, "documents": args.documents, "items": items, "events": len(events),
        "check_cold_s_median": round(statistics.median(cold), 3),
        "check_cold_cpu_s_median": round(statistics.median(cpu), 3),
        "check_warm_s_median": round(statistics.median(warm), 3),
        "timeline_after_check_s_median": round(statistics.median(timeline_times), 3),
        "check_cli_cold_s": round(cli_cold, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
