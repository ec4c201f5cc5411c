"""Text extraction and classification of a 200-page PDF report (target: under 5 s).

    python benchmarks/pdf_bench.py [--pages 200]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path


def _report(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    body = ("The patient was admitted for evaluation of a right upper lobe nodule. Vital signs were stable. "
            "Laboratory values were within normal limits except for a mild anemia. ") * 2
    for page in range(pages):
        y = 800
        c.drawString(40, y, "DISCHARGE SUMMARY" if page == 0 else f"Hospital course, continued (page {page + 1})")
        for line_no in range(45):
            y -= 16
            c.drawString(40, y, body[(line_no * 7) % 80:][:95])
        c.showPage()
    c.save()
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=200)
    args = ap.parse_args()
    from bundler.ingest.documents import read_document

    data = _report(args.pages)
    with tempfile.TemporaryDirectory() as scratch:
        t = time.perf_counter()
        doc = read_document(data, media_type="application/pdf", name="long.pdf", scratch=Path(scratch))
        elapsed = time.perf_counter() - t
    print(json.dumps({"pages": doc.pages, "bytes": len(data), "characters": len(doc.text), "kind": str(doc.kind),
                      "seconds": round(elapsed, 2), "target_seconds": 5}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
