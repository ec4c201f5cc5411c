"""Reading what patients bring: media, DICOM, documents.

Outside data is often slightly wrong: pydicom is told to read leniently (we index what can be
read and never "fix" a file), and its logger, which quotes element values (patient names),
is limited to errors.
"""

import logging

import pydicom.config

pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE
logging.getLogger("pydicom").setLevel(logging.ERROR)
