"""A synthetic, realistic demo case: a hospital CD, a folder of documents and an intake file.

Everything here is invented: the patient, the facilities, the clinicians and the findings.
The case tells one coherent story so that every later stage has something real to chew on:

* a screening low-dose CT of the chest found a small right upper lobe nodule (Lung-RADS 2,
  no comparison: the baseline screen);
* a chest X-ray (PA and lateral) for a cough ("a pulmonary nodule cannot be excluded"), then a
  CT chest with contrast a year after the screening CT, showing the nodule has grown
  (Lung-RADS 4B, hedged findings, a comparison);
* a CT-guided core needle biopsy by interventional radiology (procedure note; pathology
  report: adenocarcinoma, molecular results "to follow");
* a staging MR brain (no metastases);
* a pulmonology visit note that orders a PET/CT (not in the records: a real gap);
* lab results and a medication list;
* the patient's own part (``intake.toml``): concern, symptoms, questions, allergies, family
  history, insurance and referral, where the pathology slides are.

Every study has its report, carrying the study's accession number and exam date. Modules:
:mod:`~bundler.demo.story` (cast and dates), :mod:`~bundler.demo.images` (pixels and DICOM
datasets), :mod:`~bundler.demo.documents` (PDFs), :mod:`~bundler.demo.intake` (the intake
file), :mod:`~bundler.demo.case` (:func:`write_demo`), :mod:`~bundler.demo.benchmark`
(:func:`write_ct_series`).

:func:`write_demo` writes the CD (DICOMDIR through :class:`pydicom.fileset.FileSet`, viewer junk
at the root the way real discs have it), the documents and the intake file.
:func:`write_ct_series` writes many CT slices fast, for the import benchmark. Both are
deterministic: the same ``seed`` (and ``today``) give byte-identical files.
"""

from bundler.demo.benchmark import write_ct_series
from bundler.demo.case import DemoCase, DemoStudy, write_demo

__all__ = ["DemoCase", "DemoStudy", "write_ct_series", "write_demo"]
