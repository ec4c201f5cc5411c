"""INDEX.HTM: the package's human index, a static page that works offline.

Every value from the records goes through :func:`html.escape` (a patient name can be
``<script>…``); the page has no script, loads nothing from elsewhere, and says so to the
browser with a Content-Security-Policy. It is made from the same data as CASE.JSON.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["SeriesPreview", "index_html", "person_name"]


@dataclass(frozen=True, slots=True)
class SeriesPreview:
    """A series' preview image: its path relative to INDEX.HTM and its size in pixels."""

    path: str
    width: int
    height: int


def _display_size(preview: SeriesPreview) -> tuple[int, int]:
    """Shown at least 128 pixels on its longest side: a 16 × 16 image is not shown at 16."""
    longest = max(preview.width, preview.height, 1)
    scale = max(1.0, 128 / longest)
    return round(preview.width * scale), round(preview.height * scale)


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _date(da: str) -> str:
    if re.fullmatch(r"\d{8}", da or ""):
        return f"{da[:4]}-{da[4:6]}-{da[6:]}"
    return da or "date unknown"


def person_name(name: str) -> str:
    """A DICOM person name for reading: ``Doe^Jane`` → ``Jane Doe``."""
    parts = (name or "").split("=")[0].split("^")
    family, given = parts[0], parts[1] if len(parts) > 1 else ""
    return " ".join(p for p in (given, family) if p) or "(no name)"


_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:60em;
padding:0 1em;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;
border-bottom:1px solid #e4e4e4;vertical-align:top}th{background:#f4f4f4}
.note{background:#f6f8fa;border-left:4px solid #888;padding:.6em 1em}code{font-size:.95em}
img.preview{margin:.4em 0;background:#000;max-width:100%;height:auto}
"""


def index_html(
    case: dict[str, Any],
    *,
    previews: Mapping[str, SeriesPreview] | None = None,
    summary: str | None = None,
) -> str:
    """A static page: no script, no remote resource, every value escaped.

    ``previews`` maps a Series Instance UID to its preview image (a patient disc with web
    content: the images sit in a folder beside the page); ``summary`` names the one-page
    summary, linked at the top when there is one.
    """
    previews = previews or {}
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Defence in depth: nothing but inline style may run or load, whatever the values hold.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; img-src \'self\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Medical records for a second opinion</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Medical records for a second opinion</h1>",
    ]
    patients = case["identity"]["patients"]
    for p in patients:
        out.append(f"<p><strong>Patient:</strong> {_e(person_name(p['name']))} &nbsp; "
                   f"<strong>ID:</strong> {_e(p['id'] or '-')} &nbsp; "
                   f"<strong>Born:</strong> {_e(_date(p['birth_date']))}</p>")
    if len(patients) > 1:
        out.append('<p class="note">These records name the patient in more than one way. '
                   "Please check they all belong to the same person.</p>")
    out.append(f"<p>Prepared with {_e(case['generator'])} on {_e(case['exported_at'][:10])}.</p>")
    if summary:
        out.append(f'<p><strong>Start here:</strong> <a href="{_e(summary)}">the one-page summary</a> '
                   f"(<code>{_e(summary)}</code>).</p>")
    out.append('<p class="note">To view the images, open the file <code>DICOMDIR</code> in this '
               "folder with a DICOM viewer (for example Weasis, Horos, OsiriX, RadiAnt or "
               "MicroDicom). The documents are linked below. <code>README.TXT</code> says more.</p>")

    out.append("<h2>Imaging studies</h2>")
    if not case["studies"]:
        out.append("<p>No imaging studies.</p>")
    else:
        out.append("<table><tr><th>Date</th><th>Study</th><th>Type</th><th>Facility</th>"
                   "<th>Series</th><th>Images and objects</th><th>Folder</th></tr>")
        for s in case["studies"]:
            folders = sorted({f["path"].rsplit("/", 2)[0] for se in s["series"] for f in se["files"]})
            out.append(
                f"<tr><td>{_e(_date(s['date']))}</td><td>{_e(s['description'] or '(no description)')}"
                f"{'<br>Accession ' + _e(s['accession']) if s['accession'] else ''}</td>"
                f"<td>{_e('/'.join(s['modalities']) or '-')}</td><td>{_e(s['institution'] or '-')}</td>"
                f"<td>{len(s['series'])}</td><td>{_e(s['instances'])}</td>"
                f"<td><code>{_e(', '.join(folders))}</code></td></tr>")
            for se in s["series"]:
                preview = previews.get(se.get("series_uid", ""))
                image = ""
                if preview is not None:
                    width, height = _display_size(preview)
                    image = (f'<br><img class="preview" src="{_e(preview.path)}" width="{width}" '
                             f'height="{height}" alt="Key image of series '
                             f"{_e(se['number'] if se['number'] is not None else '?')}\">")
                out.append(f"<tr><td></td><td colspan=\"6\">Series {_e(se['number'] if se['number'] is not None else '?')}"
                           f": {_e(se['description'] or '(no description)')} "
                           f"({_e(se['modality'] or '?')}, {_e(se['instances'])}){image}</td></tr>")
        out.append("</table>")

    out.append("<h2>Documents</h2>")
    if not case["documents"]:
        out.append("<p>No documents.</p>")
    else:
        out.append("<table><tr><th>Date</th><th>Document</th><th>Kind</th><th>Original name</th>"
                   "<th>File</th></tr>")
        for d in case["documents"]:
            path = d["path"] or ""
            out.append(
                f"<tr><td>{_e(d['date'] or '-')}</td><td>{_e(d['title'] or '(untitled)')}</td>"
                f"<td>{_e(str(d['kind']).replace('_', ' '))}</td><td>{_e(d['original_name'])}</td>"
                f'<td><a href="{_e(path)}">{_e(path)}</a></td></tr>')
        out.append("</table>")

    findings = case.get("findings")
    if isinstance(findings, dict) and findings.get("items"):
        out.append(f"<h2>Checklist ({_e(findings.get('profile_title', ''))})</h2>")
        if findings.get("identity", {}).get("stop"):
            out.append('<p class="stop"><strong>These records name more than one person.</strong> '
                       "Check each record before relying on it.</p>")
        open_items = [i for i in findings["items"] if i["status"] in ("missing", "attention")]
        if findings.get("complete") and not open_items:
            out.append("<p>Everything the checklist requires is here.</p>")
        elif open_items:
            out.append("<table><tr><th>Item</th><th>State</th><th>What is missing or needs attention</th></tr>")
            for i in open_items:
                state = "missing" if i["status"] == "missing" else "needs attention"
                what = "; ".join(i.get("details") or []) or i.get("next_step", "")
                out.append(f"<tr><td>{_e(i['title'])}</td><td>{_e(state)}</td><td>{_e(what)}</td></tr>")
            out.append("</table>")
    if case["missing_from_media"]:
        out.append("<h2>Missing from the original media</h2>")
        out.append(f"<p>{len(case['missing_from_media'])} file(s) that a disc's DICOMDIR listed were "
                   "not on the disc, so they are not in this package either.</p>")
    out.append("<h2>Checking the package</h2><p><code>MANIFEST.TXT</code> lists the SHA-256 "
               "checksum and size of every file; <code>CASE.JSON</code> describes the records "
               "for software.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
