"""The demo's invented cast and its calendar: the patient, facilities, clinicians, dates.

Everything here is invented. :class:`_Story` holds the dates and numbers that the images and
the documents share, so that they agree; :func:`_make_story` derives them from ``today``.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass

from pydicom.uid import generate_uid

# --------------------------------------------------------------------------------------------
# The invented cast
# --------------------------------------------------------------------------------------------

# "Š" is outside Latin-1 (ISO_IR 100), so the name needs ISO_IR 192 (UTF-8) in DICOM, yet it is
# in WinAnsi, so the standard PDF fonts print it and text extraction gives it back.
_FAMILY = "Muñoz-Šimková"
_GIVEN = "Zoë"
_PATIENT_NAME = f"{_FAMILY}^{_GIVEN}"
_PATIENT_ID = "LUH-4471203"
_ISSUER = "LUH"
_BIRTH = datetime.date(1962, 8, 23)
_SEX = "F"

_UID_NAMESPACE = "records-bundler-demo"
_CT_LUNG_SERIES = 3  # the current CT's lung-window series, which the report's findings cite

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class _Facility:
    name: str
    address: str
    phone: str
    station: str


_RIVERSIDE = _Facility(
    "Riverside Imaging Center",
    "1450 Riverside Parkway, Suite 200, Millbrook, ST 01234",
    "(555) 014-2200",
    "RIC",
)
_LAKESIDE = _Facility(
    "Lakeside University Hospital",
    "800 Lakeshore Drive, Millbrook, ST 01235",
    "(555) 014-3000",
    "LUH",
)

_PULMONOLOGIST = ("Okafor", "Adaeze")
_RADIOLOGIST = ("Raman-Whitfield", "Priya")
_PATHOLOGIST = ("Etxeberria", "Marisol")
_INTERVENTIONALIST = ("Achterberg", "Daniel")
_SCREENING_RADIOLOGIST = ("Lindqvist", "Tomas")  # Lakeside: the screening CT
_NEURORADIOLOGIST = ("Haddad", "Samira")  # Lakeside: the MR brain


def _dicom_pn(person: tuple[str, str]) -> str:
    return f"{person[0]}^{person[1]}^^^MD"


def _human(person: tuple[str, str]) -> str:
    return f"{person[1]} {person[0]}, MD"


def _long_date(d: datetime.date) -> str:
    """``12 March 2025``, whatever the process locale."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _da(d: datetime.date) -> str:
    return d.strftime("%Y%m%d")


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters (PS3.5 §6.2), without float noise."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _age(on: datetime.date) -> int:
    return on.year - _BIRTH.year - ((on.month, on.day) < (_BIRTH.month, _BIRTH.day))


class _Uids:
    """Deterministic UIDs: the same seed and label give the same UID on every run."""

    def __init__(self, seed: int) -> None:
        self._seed = str(seed)

    def __call__(self, *label: object) -> str:
        parts = [_UID_NAMESPACE, self._seed, *(str(p) for p in label)]
        return str(generate_uid(entropy_srcs=["/".join(parts)]))




@dataclass(frozen=True)
class _Story:
    """Dates and numbers shared by the images and the documents, so they agree."""

    current_ct: datetime.date
    prior_ct: datetime.date
    xray: datetime.date
    biopsy: datetime.date
    pathology_signed: datetime.date
    mr: datetime.date
    visit: datetime.date
    labs: tuple[datetime.date, datetime.date, datetime.date]
    ct_accession: str
    prior_accession: str
    mr_accession: str
    xr_accession: str
    pathology_accession: str
    nodule_image: int  # instance number of the nodule's centre in the lung series



def _make_story(today: datetime.date, rng: random.Random, nodule_image: int) -> _Story:
    cur = today - datetime.timedelta(days=91)
    prior = cur - datetime.timedelta(days=365)
    biopsy = cur + datetime.timedelta(days=16)

    def ric(d: datetime.date) -> str:
        return f"RIC{d:%y%m%d}{rng.randrange(1000, 10000)}"

    def luh() -> str:
        return f"LUH{rng.randrange(10**7, 10**8)}"

    xray = cur - datetime.timedelta(days=9)
    return _Story(
        current_ct=cur,
        prior_ct=prior,
        xray=xray,
        biopsy=biopsy,
        pathology_signed=biopsy + datetime.timedelta(days=3),
        mr=cur + datetime.timedelta(days=27),
        visit=cur + datetime.timedelta(days=33),
        labs=(
            cur - datetime.timedelta(days=2),
            biopsy - datetime.timedelta(days=2),
            cur + datetime.timedelta(days=33),
        ),
        ct_accession=ric(cur),
        prior_accession=luh(),
        mr_accession=luh(),
        xr_accession=ric(xray),
        pathology_accession=f"S{biopsy:%y}-{rng.randrange(1000, 99999):05d}",
        nodule_image=nodule_image,
    )



def _label_int(label: str) -> int:
    """A stable integer for a label (``hash()`` of a str changes from run to run)."""
    return int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "little")

