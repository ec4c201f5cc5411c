"""The plain-language glossary: the data validates, matching finds terms (English and Spanish)
and only whole words, flagged wording becomes questions, and ``explain`` prints all of it.

The reports below are written for these tests (invented patients and findings). The demo
case's documents are imported as the app imports them; the shared FHIR and C-CDA samples
(``../shared/data/3_health_documents``, HL7 examples) are read by the document readers.
"""

from __future__ import annotations

import datetime
import importlib.resources
import json
import re
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler import glossary, reportlang
from bundler.cli import main
from bundler.errors import UsageError
from bundler.glossary import (
    LANGUAGES,
    SCALE_CATEGORIES,
    GlossaryError,
    entries,
    entry,
    explain_document,
    explain_flag,
    explain_text,
    find_terms,
    load_glossary,
    note,
)
from bundler.model import DocumentKind, FlaggedPhrase

TODAY = datetime.date(2026, 3, 1)

# --------------------------------------------------------------------------------------------
# Reports written for these tests
# --------------------------------------------------------------------------------------------

CT_CHEST_EN = """\
EXAM: CT CHEST WITH IV CONTRAST
CLINICAL INDICATION: Cough. Rule out pneumonia. RUL nodule on prior CXR.
COMPARISON: CXR 01/02/2026. No prior CT.
FINDINGS:
Lungs: 9 mm part-solid nodule in the RUL (series 4, image 61) with spiculated margins. Two
3 mm ground-glass nodules in the LLL, nonspecific. Scattered GGOs in the lingula. Bibasilar
subsegmental atelectasis. Small right pleural effusion. No pneumothorax.
Mediastinum: Enlarged subcarinal lymph nodes, up to 14 mm short axis. Hila are unremarkable.
Upper abdomen: Hepatic steatosis. 2 cm hypoattenuating right adrenal nodule, 8 HU, consistent
with a lipid-rich adenoma. Punctate calcified granulomas in the spleen.
Bones: Degenerative changes of the thoracic spine. No lytic or sclerotic lesion.
IMPRESSION:
1. Part-solid RUL nodule suspicious for malignancy; cannot exclude primary lung cancer.
PET/CT and tissue sampling recommended.
2. Subcarinal lymphadenopathy, indeterminate; metastatic disease cannot be ruled out.
3. Incidental adrenal adenoma. Clinical correlation recommended. Follow-up recommended.
"""

MRI_BRAIN_EN = """\
MRI BRAIN WITHOUT AND WITH CONTRAST
TECHNIQUE: Sagittal T1-weighted, axial T2-weighted, FLAIR and diffusion-weighted images before
and after gadolinium.
FINDINGS: A 2.1 cm rim-enhancing mass in the right frontal lobe with surrounding vasogenic
edema and mild mass effect, with 3 mm midline shift. No restricted diffusion. Scattered white
matter hyperintensities, likely small vessel disease. The ventricles are normal in size. No
acute infarct or hemorrhage. The paranasal sinuses are clear.
IMPRESSION: Enhancing right frontal mass with edema; differential diagnosis includes metastasis
and primary brain tumor. Further evaluation with MR spectroscopy may be considered.
"""

BREAST_THYROID_PROSTATE_LIVER_EN = """\
Mammogram: heterogeneously dense breasts. Grouped amorphous calcifications, left breast
upper outer quadrant. BI-RADS 4B: suspicious; stereotactic biopsy recommended. Right breast
BI-RADS 2. Prior screening BIRADS: 0 and BI-RADS category 1. Known cancer, BI-RADS 6.
Earlier: BI-RADS 3, BI-RADS 5, BI-RADS 4A, BI-RADS 4C, BI-RADS 4.
Thyroid US: 1.8 cm solid hypoechoic nodule, ACR TI-RADS TR4; FNA recommended. TR3 and TR5
nodules; TR1 cyst; TI-RADS 2.
Lung screening: Lung-RADS 0, Lung-RADS 1, Lung-RADS 2, Lung-RADS 3, Lung-RADS 4A, Lung-RADS 4B,
Lung-RADS 4X.
Prostate MRI: PI-RADS 1, PI-RADS 2, PI-RADS 3, PI-RADS 4, PI-RADS 5 lesion in the peripheral zone.
Liver MRI: LR-1, LR-2, LR-3, LR-4, LR-5 with arterial phase hyperenhancement and washout; LR-M;
LI-RADS LR-TIV; LR-NC.
"""

CT_CHEST_ES = """\
ESTUDIO: TC de tórax con contraste intravenoso.
INDICACIÓN CLÍNICA: Nódulo pulmonar en RX de tórax. Descartar neoplasia.
COMPARACIÓN: Sin estudios previos.
HALLAZGOS:
Nódulo sólido espiculado de 18 mm en el lóbulo superior derecho (LSD), sospechoso de malignidad.
Adenopatías mediastínicas paratraqueales derechas de 12 mm en eje corto.
Derrames pleurales bilaterales con atelectasia pasiva del lóbulo inferior izquierdo.
Nódulos en vidrio deslustrado de 4 mm, inespecíficos.
Lesión hipodensa hepática de 6 mm, demasiado pequeña para caracterizar.
No se observan signos de tromboembolismo pulmonar.
Cambios degenerativos en la columna dorsal. Enfisema centrolobulillar.
IMPRESIÓN:
1. Nódulo pulmonar espiculado en LSD, sospechoso de neoplasia primaria. Lung-RADS 4X.
Se recomienda PET-TC y biopsia.
2. Adenopatías mediastínicas indeterminadas; no se puede descartar afectación metastásica.
3. Hallazgo incidental: quiste simple renal izquierdo. Correlación clínica.
"""

ECO_ES = """\
ECOGRAFÍA ABDOMINAL
Hígado de tamaño normal con esteatosis hepática. Vesícula biliar con colelitiasis, sin
engrosamiento parietal. Quistes simples renales bilaterales. Ascitis: no. Bazo sin alteraciones.
Mamografía: BI-RADS categoría 3, probablemente benigno; se recomienda control en 6 meses.
Nódulo tiroideo TI-RADS TR3. LI-RADS LR-5.
"""


def ids(text: str, lang: str = "en") -> list[str]:
    return [m.entry_id for m in find_terms(text, lang=lang)]


def written(text: str, lang: str = "en") -> dict[str, str]:
    """{as written (whitespace collapsed): entry ID}."""
    return {" ".join(m.written.split()): m.entry_id for m in find_terms(text, lang=lang)}


# --------------------------------------------------------------------------------------------
# The glossary data
# --------------------------------------------------------------------------------------------


def test_glossary_has_200_entries_in_both_languages() -> None:
    en, es = entries("en"), entries("es")
    assert len(en) >= 200
    assert [e.id for e in en] == [e.id for e in es]
    for e in en + es:
        assert e.definition.strip() and e.reference.strip() and e.term.strip(), e.id
        assert e.lang in LANGUAGES
    # Every entry is written in both languages, and not copied from one to the other.
    for a, b in zip(en, es, strict=True):
        assert a.definition != b.definition, a.id
        assert bool(a.question) == bool(b.question), a.id
    # Most entries suggest a question, and every hedge and every scale entry is checked below.
    assert sum(1 for e in en if e.question) >= 100


def test_every_category_of_every_scale_has_an_entry() -> None:
    expected = {
        "BI-RADS": {"0", "1", "2", "3", "4", "5", "6"},
        "TI-RADS": {"TR1", "TR2", "TR3", "TR4", "TR5"},
        "Lung-RADS": {"0", "1", "2", "3", "4A", "4B", "4X"},
        "PI-RADS": {"1", "2", "3", "4", "5"},
        "LI-RADS": {"LR-1", "LR-2", "LR-3", "LR-4", "LR-5", "LR-M"},
    }
    assert {k: set(v) for k, v in SCALE_CATEGORIES.items()} == expected
    for lang in LANGUAGES:
        found: dict[str, set[str]] = {}
        for e in entries(lang):
            if e.scale:
                found.setdefault(e.scale, set()).add(e.category)
        for scale, categories in expected.items():
            assert categories | {""} <= found[scale], (lang, scale)
        assert {"4A", "4B", "4C"} <= found["BI-RADS"]
        assert {"LR-NC", "LR-TIV"} <= found["LI-RADS"]
    # Each category is explained with a reference to its ACR definition.
    for e in entries("en"):
        if e.scale:
            assert "ACR" in e.reference, e.id


def test_scale_category_entries_say_what_follow_up_usually_means() -> None:
    words = {"en": re.compile(r"biopsy|screening|follow|scan|needle|surveillance|repeat|ultrasound|treatment|"
                              r"pictures|not needed|\bCT\b|month|team", re.I),
             "es": re.compile(r"biopsia|cribado|control|prueba|punción|vigilancia|repetir|ecograf|tratamiento|"
                              r"imágenes|no hace falta|\bTC\b|meses|equipo", re.I)}
    for lang in LANGUAGES:
        for e in entries(lang):
            if e.scale and e.category:
                assert words[lang].search(e.definition), (lang, e.id)


def test_every_reportlang_phrase_is_explained_in_both_languages() -> None:
    """Each hedge bundler.reportlang can flag gets a glossary entry with a question."""
    text = importlib.resources.files("bundler_resources").joinpath("reportlang", "phrases.toml").read_text("utf-8")
    phrases = {p["phrase"] for p in tomllib.loads(text)["phrase"]}
    assert len(phrases) >= 30
    for phrase in phrases:
        for lang in LANGUAGES:
            explained = explain_flag(FlaggedPhrase("hedge", phrase, "The sentence."), lang=lang)
            assert explained.entry is not None, phrase
            assert explained.question, phrase


CHECKLIST_HEDGES = ["indeterminate", "cannot exclude", "cannot rule out", "suspicious for",
                    "clinical correlation recommended", "incidental", "follow-up recommended"]


@pytest.mark.parametrize("phrase", CHECKLIST_HEDGES)
def test_checklist_hedges_are_terms_with_questions(phrase: str) -> None:
    (match,) = find_terms(f"A nodule; {phrase} here.", lang="en")[1:]
    assert match.written == phrase
    assert match.entry.topic == "wording"
    assert match.entry.question and entry(match.entry_id, "es").question


def test_every_scale_category_flag_is_explained() -> None:
    for scale, categories in SCALE_CATEGORIES.items():
        for category in categories:
            flag = FlaggedPhrase("category", f"{scale} {category}", "", scale=scale, category=category)
            for lang in LANGUAGES:
                explained = explain_flag(flag, lang=lang)
                assert explained.entry is not None and explained.entry.category == category
    # "Lung-RADS 2S" is category 2 with the S modifier; "Lung-RADS 4" alone is the scale.
    two_s = FlaggedPhrase("category", "Lung-RADS 2S", "", scale="Lung-RADS", category="2S")
    assert explain_flag(two_s, lang="en").entry.id == "lung-rads-2"  # type: ignore[union-attr]
    four = FlaggedPhrase("category", "Lung-RADS 4", "", scale="Lung-RADS", category="4")
    assert explain_flag(four, lang="en").entry.id == "lung-rads"  # type: ignore[union-attr]


def test_an_unknown_flag_gets_a_generic_explanation() -> None:
    flag = FlaggedPhrase("hedge", "some new hedge", "It is some new hedge.")
    for lang in LANGUAGES:
        explained = explain_flag(flag, lang=lang)
        assert explained.entry is None
        assert explained.definition and "some new hedge" in explained.question


def test_entry_lookup() -> None:
    assert entry("nodule", "es").term == "nódulo"
    assert entry("nodule", "en").term == "nodule"
    assert entry("nodule", "es_MX") == entry("nodule", "ES")
    assert entry("lung-rads-4b", "en").term == "Lung-RADS 4B"
    assert entry("ultrasound", "en").terms[-1] == "US"
    with pytest.raises(UsageError):
        entry("no-such-entry", "en")
    with pytest.raises(UsageError):
        entry("nodule", "fr")
    assert note("en") == "This explains words; it does not interpret your images or give a diagnosis."
    assert note("es").startswith("Esto explica palabras")


def test_matcher_is_built_on_first_use() -> None:
    g = load_glossary(_packaged())
    assert "_tries" not in vars(g)
    g.entries("en")
    assert "_tries" not in vars(g)
    assert g.find_terms("nodule", "en")
    assert "_tries" in vars(g)


# --------------------------------------------------------------------------------------------
# Malformed glossary files: a clear message naming the file and the line
# --------------------------------------------------------------------------------------------


def _packaged() -> list[tuple[str, str]]:
    folder = importlib.resources.files("bundler_resources").joinpath("glossary")
    return [(f"glossary/{p.name}", p.read_text("utf-8")) for p in folder.iterdir() if p.name.endswith(".toml")]


def _scales_only() -> list[tuple[str, str]]:
    return [(name, text) for name, text in _packaged() if name.endswith("scales.toml")]


GOOD = """\
[[entry]]
id = "blob"
reference = "RadiologyInfo.org"
en.terms = ["blob"]
en.definition = "A blob."
es.terms = ["mancha"]
es.definition = "Una mancha."
"""


def test_a_minimal_file_loads() -> None:
    g = load_glossary([("extra.toml", GOOD), *_scales_only()])
    assert g.entry("blob", "es").definition == "Una mancha."
    assert [m.entry_id for m in g.find_terms("Two BLOBS and manchas.", "en")] == ["blob", "blob"]


@pytest.mark.parametrize(("text", "line", "words"), [
    (GOOD.replace('id = "blob"', 'id = "blob'), 2, ["not valid TOML"]),
    (GOOD.replace('es.definition = "Una mancha."\n', ""), 1, ["Spanish definition"]),
    (GOOD.replace('es.terms = ["mancha"]\nes.definition = "Una mancha."\n', ""), 1, ["Spanish wording"]),
    (GOOD.replace('reference = "RadiologyInfo.org"\n', ""), 1, ["reference"]),
    (GOOD.replace('en.definition', 'en.defintion'), 5, ["unknown key", "en.defintion"]),
    (GOOD.replace('id = "blob"', 'id = "Blob!"'), 2, ["'id'"]),
    (GOOD.replace('en.terms = ["blob"]', 'en.terms = "blob"'), 4, ["en.terms"]),
    (GOOD + "\n" + GOOD.replace('"blob"', '"blob2"').replace('["blob2"]', '["cosa"]'), 9, ["'mancha'", "'blob'"]),
    (GOOD + "\n" + GOOD.replace('"blob"', '"blob2"', 1), 9, ["'blob'", "also listed"]),
    (GOOD.replace('en.terms = ["blob"]', 'en.terms = ["blob", "Blob"]'), 1, ["'Blob'", "also listed"]),
    (GOOD + 'scale = "X-RADS"\n', 8, ["unknown scale"]),
])
def test_a_malformed_file_is_named_with_its_line(text: str, line: int, words: list[str]) -> None:
    with pytest.raises(GlossaryError) as info:
        load_glossary([("glossary/extra.toml", text), *_scales_only()])
    message = str(info.value)
    assert "glossary/extra.toml" in message
    assert f"line {line}" in message, message
    for w in words:
        assert w in message, message
    assert info.value.code == "glossary_malformed"


def test_a_missing_scale_category_is_named() -> None:
    (name, scales), = _scales_only()
    without = re.sub(r'\[\[entry\]\]\nid = "ti-rads-tr4".*?(?=\n\[\[entry\]\])', "", scales, flags=re.S)
    assert without != scales
    with pytest.raises(GlossaryError, match="TI-RADS TR4"):
        load_glossary([(name, without)])


def test_a_duplicate_flag_phrase_is_refused() -> None:
    twice = GOOD + 'flags = ["indeterminate"]\n' + "\n" + GOOD.replace("blob", "glob").replace("mancha", "bulto")
    twice += 'flags = ["Indeterminate"]\n'
    with pytest.raises(GlossaryError, match="already explained"):
        load_glossary([("glossary/extra.toml", twice), *_scales_only()])


# --------------------------------------------------------------------------------------------
# Matching: reports written for these tests
# --------------------------------------------------------------------------------------------


def test_english_ct_report() -> None:
    found = written(CT_CHEST_EN)
    expected = {
        "CT": "ct", "IV CONTRAST": "intravenous", "Rule out": "rule-out", "pneumonia": "pneumonia",
        "RUL": "right-upper-lobe", "nodule": "nodule", "CXR": "chest-x-ray", "part-solid nodule": "subsolid-nodule",
        "spiculated margins": "spiculated", "ground-glass nodules": "ground-glass-opacity", "LLL": "left-lower-lobe",
        "nonspecific": "nonspecific", "GGOs": "ground-glass-opacity", "lingula": "lingula",
        "Bibasilar": "lung-base", "subsegmental atelectasis": "atelectasis", "pleural effusion": "pleural-effusion",
        "pneumothorax": "pneumothorax", "Mediastinum": "mediastinum", "subcarinal": "paratracheal",
        "lymph nodes": "lymph-node", "short axis": "short-axis", "Hila": "hilum", "unremarkable": "unremarkable",
        "Hepatic steatosis": "steatosis", "hypoattenuating": "hypodense", "adrenal": "adrenal",
        "HU": "hounsfield-unit", "consistent with": "consistent-with", "lipid-rich": "adenoma",
        "adenoma": "adenoma", "calcified granulomas": "granuloma", "spleen": "spleen",
        "Degenerative changes": "degenerative-changes", "thoracic spine": "spine-regions", "lytic": "lytic-lesion",
        "sclerotic lesion": "sclerotic-lesion", "suspicious for": "suspicious-for", "malignancy": "malignancy",
        "cannot exclude": "cannot-exclude", "PET/CT": "pet-ct", "tissue sampling": "biopsy-recommended",
        "lymphadenopathy": "lymphadenopathy", "indeterminate": "indeterminate", "metastatic disease": "metastasis",
        "cannot be ruled out": "cannot-rule-out", "Incidental": "incidental",
        "Clinical correlation recommended": "clinical-correlation", "Follow-up recommended": "follow-up-recommended",
    }
    for words, entry_id in expected.items():
        assert found.get(words) == entry_id, (words, found.get(words))


def test_english_mri_report() -> None:
    found = written(MRI_BRAIN_EN)
    for words, entry_id in {
        "MRI": "mri", "WITH CONTRAST": "contrast", "Sagittal": "sagittal", "T1-weighted": "t1-weighted",
        "T2-weighted": "t2-weighted", "FLAIR": "flair", "diffusion-weighted": "diffusion-weighted",
        "gadolinium": "gadolinium", "rim-enhancing": "enhancement", "mass": "mass",
        "vasogenic edema": "edema", "mass effect": "mass-effect", "midline shift": "mass-effect",
        "restricted diffusion": "diffusion-restriction", "white matter hyperintensities": "small-vessel-disease",
        "likely": "likely", "small vessel disease": "small-vessel-disease", "ventricles": "ventricles",
        "infarct": "infarct", "hemorrhage": "hemorrhage", "paranasal sinuses": "paranasal-sinuses",
        "Enhancing": "enhancement", "differential diagnosis": "differential-diagnosis",
        "metastasis": "metastasis", "Further evaluation": "further-evaluation",
    }.items():
        assert found.get(words) == entry_id, (words, found.get(words))
    # "acute infarct": "No acute" is not a term of its own, so "acute" and "infarct" are both there.
    assert "acute" in ids(MRI_BRAIN_EN)


def test_every_scale_category_is_found_in_report_text() -> None:
    found = set(ids(BREAST_THYROID_PROSTATE_LIVER_EN))
    for scale, categories in SCALE_CATEGORIES.items():
        for category in categories:
            entry_id = f"{scale.lower()}-{category.lower()}"
            assert entry_id in found, entry_id
    assert {"bi-rads-4a", "bi-rads-4c", "li-rads-lr-tiv", "li-rads-lr-nc"} <= found
    assert {"aphe", "washout", "fna", "microcalcifications", "breast-density", "prostate"} <= found


def test_spanish_reports() -> None:
    found = written(CT_CHEST_ES, "es")
    for words, entry_id in {
        "TC": "ct", "con contraste": "contrast", "intravenoso": "intravenous", "Nódulo pulmonar": "nodule",
        "RX de tórax": "chest-x-ray", "Descartar": "rule-out", "neoplasia": "neoplasm",
        "Sin estudios previos": "prior-comparison", "Nódulo sólido": "solid-nodule", "espiculado": "spiculated",
        "lóbulo superior derecho": "right-upper-lobe", "LSD": "right-upper-lobe", "sospechoso de": "suspicious-for",
        "malignidad": "malignancy", "Adenopatías": "lymphadenopathy", "paratraqueales": "paratracheal",
        "eje corto": "short-axis", "Derrames pleurales": "pleural-effusion", "bilaterales": "bilateral",
        "atelectasia": "atelectasis", "lóbulo inferior izquierdo": "left-lower-lobe",
        "Nódulos en vidrio deslustrado": "ground-glass-opacity", "inespecíficos": "nonspecific",
        "hipodensa": "hypodense", "demasiado pequeña para caracterizar": "too-small-to-characterize",
        "No se observan signos de": "no-evidence-of", "tromboembolismo pulmonar": "pulmonary-embolism",
        "Cambios degenerativos": "degenerative-changes", "columna dorsal": "spine-regions",
        "Enfisema centrolobulillar": "emphysema", "IMPRESIÓN": "impression", "Lung-RADS 4X": "lung-rads-4x",
        "PET-TC": "pet-ct", "biopsia": "biopsy", "indeterminadas": "indeterminate",
        "no se puede descartar": "cannot-exclude", "metastásica": "metastasis",
        "Hallazgo incidental": "incidental", "quiste simple": "simple-cyst",
        "Correlación clínica": "clinical-correlation",
    }.items():
        assert found.get(words) == entry_id, (words, found.get(words))
    eco = written(ECO_ES, "es")
    for words, entry_id in {
        "ECOGRAFÍA": "ultrasound", "Hígado": "liver", "esteatosis hepática": "steatosis",
        "Vesícula biliar": "gallbladder", "colelitiasis": "stones", "engrosamiento parietal": "wall-thickening",
        "Quistes simples": "simple-cyst", "renales": "kidney", "Ascitis": "ascites", "Bazo": "spleen",
        "sin alteraciones": "unremarkable", "Mamografía": "mammogram", "BI-RADS categoría 3": "bi-rads-3",
        "probablemente benigno": "probably-benign", "Nódulo tiroideo": "thyroid-nodule",
        "TI-RADS TR3": "ti-rads-tr3", "LI-RADS LR-5": "li-rads-lr-5",
    }.items():
        assert eco.get(words) == entry_id, (words, eco.get(words))


def test_explanations_come_in_the_chosen_language_whatever_the_report_language() -> None:
    es_of_en = explain_text(CT_CHEST_EN, lang="es")
    en_of_es = explain_text(CT_CHEST_ES, lang="en")
    assert es_of_en.lang == "es" and es_of_en.note == note("es")
    assert all(m.entry.lang == "es" for m in es_of_en.terms)
    assert all(m.entry.lang == "en" for m in en_of_es.terms)
    nodule = next(m for m in en_of_es.terms if m.entry_id == "nodule")
    assert nodule.written == "Nódulo pulmonar" and nodule.entry.term == "nodule"


@pytest.mark.parametrize(("text", "expected"), [
    ("NÓDULO", ["nodule"]), ("nodulo", ["nodule"]), ("Nodules", ["nodule"]), ("nódulos", ["nodule"]),
    ("opacities", ["opacity"]), ("metastases", ["metastasis"]), ("hila", ["hilum"]), ("vertebrae", ["vertebra"]),
    ("bronchi", ["airway"]), ("apices", ["lung-apex"]), ("derrames pleurales", ["pleural-effusion"]),
    ("lesiones", ["lesion"]), ("calcificaciones", ["calcification"]), ("pulmones", []),
    ("quistes renales", ["cyst", "kidney"]), ("ground glass", ["ground-glass-opacity"]),
    ("Ground-\nglass", ["ground-glass-opacity"]), ("ground\n\nglass", []),
    ("follow up recommended", ["follow-up-recommended"]), ("followup", ["follow-up"]),
    ("can't exclude", ["cannot-exclude"]), ("can’t exclude", ["cannot-exclude"]),
    ("pleural effusion", ["pleural-effusion"]), ("pleural", ["pleura"]),
    ("right upper lobe nodule", ["right-upper-lobe", "nodule"]),
])
def test_inflections_case_accents_and_longest_match(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("US abdomen", ["ultrasound"]), ("let us know", []), ("Us", []),
    ("MR brain", ["mri"]), ("Mr. Lopez", []), ("PE", ["pulmonary-embolism"]), ("pe", []),
    ("AP and lateral views", ["ap-view", "lateral-view"]), ("rul", ["right-upper-lobe"]),
    ("GGO", ["ground-glass-opacity"]), ("GGOs", ["ground-glass-opacity"]), ("cxr", ["chest-x-ray"]),
    ("LSD", ["right-upper-lobe"]), ("lsd", []), ("TR3", ["ti-rads-tr3"]), ("tr3", []),
    ("LR-M", ["li-rads-lr-m"]), ("lr-m", []), ("LR 5", ["li-rads-lr-5"]),
])
def test_abbreviations_that_collide_with_words_match_only_as_written(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("cystoscopy", ["endoscopy"]), ("cysts", ["cyst"]), ("nodularity", []), ("subpleural", ["subpleural"]),
    ("pleurae", ["pleura"]), ("CTs", ["ct"]), ("ACT", []), ("massive", []), ("mass_effect", []),
    ("non-enhancing", ["non-enhancing"]), ("non-contrast", ["non-contrast"]), ("non-nodular", []),
    ("BI-RADS 4.5", ["bi-rads"]), ("BI-RADS 4", ["bi-rads-4"]), ("TI-RADS 4 points", ["ti-rads"]),
    ("BI-RADS 45", ["bi-rads"]), ("BI-RADS® category 4A", ["bi-rads-4a"]), ("BIRADS: 0", ["bi-rads-0"]),
    ("Lung-RADS 2S", ["lung-rads-2"]), ("LungRADS 4B", ["lung-rads-4b"]), ("PI-RADS 5/5", ["pi-rads-5"]),
])
def test_never_inside_a_word(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


# --------------------------------------------------------------------------------------------
# Flags and suggested questions
# --------------------------------------------------------------------------------------------


def test_flags_become_suggested_questions() -> None:
    ex = explain_text(CT_CHEST_EN, lang="en")
    phrases = [f.flag.phrase for f in ex.flags]
    for phrase in ("suspicious for", "cannot exclude", "biopsy recommended", "indeterminate",
                   "cannot rule out", "incidental", "clinical correlation recommended", "follow-up recommended"):
        assert phrase in phrases, phrase
    assert all(f.entry is not None and f.definition for f in ex.flags)
    texts = [q.text for q in ex.questions]
    assert len(texts) == len(set(texts)) >= 7
    assert all(q.sentences and q.entry_id for q in ex.questions)
    cannot = next(q for q in ex.questions if q.entry_id == "cannot-exclude")
    assert cannot.sentences == ("Part-solid RUL nodule suspicious for malignancy; cannot exclude primary lung cancer.",)
    es = explain_text(CT_CHEST_ES, lang="es")
    assert {f.flag.phrase for f in es.flags} >= {"sospechoso de", "Lung-RADS 4X", "no se puede descartar",
                                                  "incidental", "correlación clínica", "indeterminado"}
    assert any("¿" in q.text for q in es.questions)
    assert all(f.entry is not None for f in es.flags)


def test_explain_text_uses_given_flags() -> None:
    flag = FlaggedPhrase("category", "BI-RADS 3", "BI-RADS 3.", "impression", "BI-RADS", "3")
    ex = explain_text("No findings.", lang="en", flags=[flag])
    (f,) = ex.flags
    assert f.entry is not None and f.entry.id == "bi-rads-3"
    (q,) = ex.questions
    assert q.text == f"BI-RADS 3: {f.question}" and q.phrase == "BI-RADS 3" and q.sentences == ("BI-RADS 3.",)
    data = ex.to_json()
    assert set(data) == {"lang", "note", "terms", "flags", "suggested_questions"}
    assert data["flags"][0]["entry_id"] == "bi-rads-3"


def test_an_empty_text_explains_nothing_but_keeps_the_note() -> None:
    ex = explain_text("", lang="es")
    assert ex.terms == () and ex.flags == () and ex.questions == ()
    assert ex.note == note("es")


# --------------------------------------------------------------------------------------------
# The demo case, imported as the app imports it; the shared FHIR and C-CDA reports
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo documents imported into a case: (case folder, {role: document ID}); roles are
    "ct_report" (the contrast CT report with the Lung-RADS 4B nodule), "pathology", and each
    radiology report's ID under "report:<ID>"."""
    from bundler.demo import write_demo
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    root = tmp_path_factory.mktemp("glossary-demo")
    demo = write_demo(root / "demo", ct_slices=4, matrix=32, today=TODAY)
    case = root / "case"
    with CaseStore.open(case, create=True) as store:
        import_sources([demo.documents_dir], store)
        documents = store.documents()
    roles = {f"report:{d.id}": d.id for d in documents if d.kind == DocumentKind.RADIOLOGY_REPORT.value}
    roles["ct_report"] = next(d.id for d in documents if d.title.startswith("CT CHEST WITH CONTRAST"))
    roles["pathology"] = next(d.id for d in documents if d.kind == DocumentKind.PATHOLOGY_REPORT.value)
    return case, roles


def _report(demo_case: tuple[Path, dict[str, str]]) -> tuple[str, object]:
    from bundler.store import CaseStore

    case, roles = demo_case
    doc_id = roles["ct_report"]
    with CaseStore.open(case) as store:
        return doc_id, store.document_content(doc_id)


def test_demo_radiology_report_in_both_languages(demo_case: tuple[Path, dict[str, str]]) -> None:
    _, parsed = _report(demo_case)
    from bundler.model import ParsedDocument

    assert isinstance(parsed, ParsedDocument)
    for lang in LANGUAGES:
        ex = explain_document(parsed, lang=lang)
        found = {m.entry_id for m in ex.terms}
        assert {"ct", "contrast", "nodule", "right-upper-lobe", "spiculated", "emphysema", "lymph-node",
                "paratracheal", "adrenal", "hounsfield-unit", "pleural-effusion", "pneumothorax",
                "lung-rads-4b", "pet-ct", "malignancy", "indeterminate", "cannot-exclude",
                "biopsy-recommended", "follow-up-recommended", "low-dose-ct"} <= found, sorted(found)
        for m in ex.terms:
            assert parsed.text[m.start:m.end] == m.written
        assert {f.flag.phrase for f in ex.flags} >= {"indeterminate", "suspicious for", "Lung-RADS 4B",
                                                      "cannot be excluded", "follow-up recommended"}
        assert all(f.entry is not None for f in ex.flags)
        assert len(ex.questions) >= 6
        assert ex.note == note(lang)
    es = explain_document(parsed, lang="es")
    assert any(q.text.startswith("¿") or "¿" in q.text for q in es.questions)
    assert next(f for f in es.flags if f.flag.phrase == "Lung-RADS 4B").definition.startswith("Muy sospechoso")


def test_demo_documents_other_than_reports_are_explained_too(demo_case: tuple[Path, dict[str, str]]) -> None:
    from bundler.store import CaseStore

    case, roles = demo_case
    with CaseStore.open(case) as store:
        pathology = store.document_content(roles["pathology"])
    assert pathology is not None
    ex = explain_document(pathology, lang="en")
    assert {"biopsy", "carcinoma"} <= {m.entry_id for m in ex.terms}


def test_every_demo_radiology_report_has_its_flags_explained(demo_case: tuple[Path, dict[str, str]]) -> None:
    from bundler.store import CaseStore

    case, roles = demo_case
    reports = [doc_id for role, doc_id in roles.items() if role.startswith("report:")]
    assert len(reports) >= 1
    with CaseStore.open(case) as store:
        for doc_id in reports:
            parsed = store.document_content(doc_id)
            assert parsed is not None
            for lang in LANGUAGES:
                ex = explain_document(parsed, lang=lang)
                assert len(ex.terms) >= 10
                assert all(f.entry is not None for f in ex.flags), [f.flag.phrase for f in ex.flags]
                assert len(ex.questions) == len({q.text for q in ex.questions})


def _read_shared(shared_data: Path, relative: str) -> object:
    from bundler.ingest.documents import read_document, sniff_document

    path = shared_data / "3_health_documents" / relative
    data = path.read_bytes()
    media_type = sniff_document(data[:4096], path.name)
    assert media_type is not None
    return read_document(data, media_type=media_type, name=path.name, scratch=path.parent)


def test_fhir_chest_xray_report(shared_data: Path) -> None:
    parsed = _read_shared(shared_data, "fhir_r4/us_core/DiagnosticReport-chest-xray-report.json")
    from bundler.model import ParsedDocument

    assert isinstance(parsed, ParsedDocument)
    found = written(parsed.text)
    for words, entry_id in {
        "Portable": "portable", "XR Chest": "chest-x-ray", "INDICATION": "indication", "Pneumonia": "pneumonia",
        "COMPARISON": "comparison", "FINDINGS": "findings", "PLEURA": "pleura", "pulmonary vascularity":
        "pulmonary-artery", "pleural effusion": "pleural-effusion", "pneumothorax": "pneumothorax",
        "MEDIASTINUM": "mediastinum", "HILA": "hilum", "hilar": "hilum", "SOFT TISSUES": "soft-tissues",
        "No acute abnormality": "unremarkable", "IMPRESSION": "impression",
    }.items():
        assert found.get(words) == entry_id, (words, found.get(words))
    ex = explain_document(parsed, lang="es")
    assert ex.flags == () and ex.questions == ()  # a normal report: nothing hedged to ask about


def test_ccda_imaging_report(shared_data: Path) -> None:
    parsed = _read_shared(shared_data, "ccda/full_documents/Diagnostic_Imaging_Report.xml")
    from bundler.model import ParsedDocument

    assert isinstance(parsed, ParsedDocument)
    found = written(parsed.text)
    for words, entry_id in {
        "Chest X-Ray": "chest-x-ray", "PA": "pa-view", "LAT": "lateral-view", "Suspected": "suspicious",
        "tumor": "tumor", "cardiomediastinum": "mediastinum", "within normal limits": "unremarkable",
        "trachea": "trachea", "opacity": "opacity", "infiltrates": "infiltrate", "density": "opacity",
        "hilus": "hilum", "CT": "ct", "further evaluation": "further-evaluation", "pleural spaces": "pleura",
        "musculoskeletal": "soft-tissues", "stable": "stable", "unremarkable": "unremarkable",
        "No acute cardiopulmonary process": "unremarkable", "malignancy": "malignancy",
        "not excluded": "cannot-exclude",
    }.items():
        assert found.get(words) == entry_id, (words, found.get(words))
    ex = explain_document(parsed, lang="en")
    assert {f.entry.id for f in ex.flags if f.entry} >= {"suspicious", "further-evaluation", "cannot-exclude"}
    assert len(ex.questions) >= 3


# --------------------------------------------------------------------------------------------
# Properties: never raises, spans are exact, ordered, disjoint, and at word boundaries
# --------------------------------------------------------------------------------------------

_TERMS = sorted({t for e in entries("en") + entries("es") for t in e.terms})
_WORDCHAR = re.compile(r"\w")


def _check_matches(text: str) -> None:
    for lang in LANGUAGES:
        matches = find_terms(text, lang=lang)
        end = 0
        for m in matches:
            assert end <= m.start < m.end <= len(text)
            assert text[m.start:m.end] == m.written
            assert m.start == 0 or not _WORDCHAR.match(text[m.start - 1]), (text, m)
            assert m.end == len(text) or not _WORDCHAR.match(text[m.end]), (text, m)
            end = m.end


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_matching_never_raises_on_arbitrary_text(text: str) -> None:
    _check_matches(text)
    explain_text(text, lang="es")


_GLUE = st.sampled_from(["", " ", "-", "/", "\n", "\n\n", "x", "é", "\u0301", "_", "1", ".", "’", "⅓", "ﬁ", "®",
                         ":"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_GLUE, st.sampled_from(_TERMS), _GLUE), max_size=8),
       st.sampled_from([str, str.upper, str.lower, str.title]))
def test_glossary_words_glued_into_other_words_never_match_inside_them(
    parts: list[tuple[str, str, str]], case: object
) -> None:
    text = "".join(a + t + b for a, t, b in parts)
    assert callable(case)
    _check_matches(case(text))


_TERMS_BY_LANG = {lang: sorted({t for e in entries(lang) for t in e.terms}) for lang in LANGUAGES}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LANGUAGES).flatmap(
    lambda lang: st.lists(st.sampled_from(_TERMS_BY_LANG[lang]), min_size=1, max_size=6)))
def test_terms_of_one_language_separated_by_semicolons_are_all_found(terms: list[str]) -> None:
    text = " ; ".join(terms)
    matches = find_terms(text, lang="en")
    # Every listed term is found as written, or inside a longer term starting at the same word.
    starts = {m.start for m in matches}
    pos = 0
    for t in terms:
        assert pos in starts or any(m.start < pos < m.end for m in matches), (text, t)
        pos += len(t) + 3


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_TERMS))
def test_every_term_alone_is_found_whole(term: str) -> None:
    (match,) = find_terms(term, lang="es")
    assert (match.start, match.end) == (0, len(term))


def test_a_plain_word_of_the_other_language_is_skipped_when_the_report_language_is_clear() -> None:
    # "control" is a Spanish term (a follow-up scan), "solid" an English one.
    assert "follow-up" not in ids("The dose is under automatic exposure control for this scan.")
    assert "follow-up" in ids("Nuevo control de la lesión en 6 meses con TC y sin contraste.")
    assert "solid-nodule" not in ids("Se observa un nódulo en el pulmón, solid según el informe de la clínica.", "es")
    # Several words, accented words and acronyms as written still match in either language.
    assert ids("There is vidrio deslustrado in the report from the clinic and the hospital.")[0] \
        == "ground-glass-opacity"
    assert "nodule" in ids("The nódulo in the report is the same as the one in this scan.")
    assert "fdg" in ids("La captación de FDG en el nódulo y en la adenopatía.", "es")


# --------------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------------


def test_a_five_page_report_is_explained_well_under_100_ms() -> None:
    text = "\n".join([CT_CHEST_EN, MRI_BRAIN_EN, BREAST_THYROID_PROSTATE_LIVER_EN, CT_CHEST_ES, ECO_ES] * 5)
    assert len(text) > 15_000  # about 5 pages of report text
    explain_text(text, lang="en")  # the first use loads and compiles
    best = min(_timed(lambda: explain_text(text, lang="en")) for _ in range(7))
    assert best < 0.1, best
    best_terms = min(_timed(lambda: find_terms(text, lang="es")) for _ in range(7))
    assert best_terms < 0.05, best_terms


def _timed(fn: object) -> float:
    """CPU seconds: the machine running the tests may be busy with other work."""
    assert callable(fn)
    t = time.process_time()
    fn()
    return time.process_time() - t


# --------------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------------


def test_cli_explain_text_in_both_languages(demo_case: tuple[Path, dict[str, str]],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    case, roles = demo_case
    doc_id = roles["ct_report"]
    assert main(["explain", "--case", str(case), doc_id]) == 0
    out = capsys.readouterr().out
    assert "Enlarging solid right upper lobe nodule" in out  # the report text comes first
    assert out.index("Enlarging solid") < out.index("Words explained") < out.index("Wording to ask about") \
        < out.index("Questions you could ask")
    assert out.rstrip().endswith("This explains words; it does not interpret your images or give a diagnosis.")
    assert "“Lung-RADS 4B”" in out and "1. " in out

    assert main(["explain", "--case", str(case), doc_id, "--lang", "es"]) == 0
    out = capsys.readouterr().out
    for heading in ("Palabras explicadas", "Expresiones sobre las que preguntar", "Preguntas que podría hacer"):
        assert heading in out
    assert "Esto explica palabras; no interpreta sus imágenes ni da un diagnóstico." in out
    assert "Verificado con:" in out


def test_cli_explain_json(demo_case: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    case, roles = demo_case
    doc_id = roles["ct_report"]
    for lang in LANGUAGES:
        assert main(["explain", "--case", str(case), doc_id, "--lang", lang, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert {"document_id", "lang", "note", "terms", "flags", "suggested_questions"} <= set(data)
        assert data["document_id"] == doc_id and data["lang"] == lang and data["note"] == note(lang)
        for t in data["terms"]:
            assert {"term", "start", "end", "entry_id", "definition", "question", "reference"} <= set(t)
        for f in data["flags"]:
            assert {"phrase", "kind", "sentence", "definition", "question"} <= set(f)
        assert {t["entry_id"] for t in data["terms"]} >= {"nodule", "lung-rads-4b", "indeterminate"}
        assert {f["phrase"] for f in data["flags"]} >= {"Lung-RADS 4B", "indeterminate"}
        assert len(data["suggested_questions"]) >= 6
    _, parsed = _report(demo_case)
    text = parsed.text  # type: ignore[attr-defined]
    assert all(text[t["start"]:t["end"]] == t["term"] for t in data["terms"])


def test_cli_explain_unknown_document(demo_case: tuple[Path, dict[str, str]],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = demo_case
    assert main(["explain", "--case", str(case), "0123456789abcdef", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no document with that ID" in captured.err
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--case", str(case), "x", "--lang", "fr"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_reportlang_flags_and_glossary_agree_on_the_demo_sentence() -> None:
    """The flags explained are exactly reportlang's, in the report's order."""
    text = "IMPRESSION: Indeterminate nodule. Cannot rule out infection. BI-RADS 0."
    ex = explain_text(text, lang="en")
    assert [f.flag for f in ex.flags] == list(reportlang.find_flags(text))
    assert [f.entry.id for f in ex.flags if f.entry] == ["indeterminate", "cannot-rule-out", "bi-rads-0"]
    assert glossary.note("en") in ex.note
