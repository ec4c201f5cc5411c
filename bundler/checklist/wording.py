"""The checklist's own sentences (details, evidence labels, reasons), in English and Spanish.

The items' titles and next steps are data (resources/checklists/items.toml and
items.es.toml); these are the phrases the rules compose around the records. Whole phrases with
placeholders, never fragments glued together.
"""

from __future__ import annotations

__all__ = ["MESSAGES", "message", "procedure_word"]

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unknown_facility": "the place where it was done",
        "your_doctor": "your doctor's office",
        "unknown_date": "an unknown date",
        "accession": " (accession {accession})",
        "and": "{first} and {last}",
        "more_steps": "{first} The other {n} are listed with this item.",
        "field_main_concern": "your main concern",
        "field_diagnosis": "the diagnosis you were given",
        "field_plan": "the proposed plan",
        "field_decision": "the decision you face",
        "not_written": "Not written yet: {what}.",
        "ev_concern": "About you: your concern",
        "ev_questions": "About you: {n} questions",
        "ev_symptom": "Symptom: {what}",
        "ev_family": "About you: family history",
        "ev_field": "About you: {title}",
        "ev_insurance": "About you: insurance",
        "ev_medicines": "About you: medicines",
        "ev_allergies": "About you: allergies",
        "ev_details": "About you: your details",
        "no_date_of": "No date: {what}",
        "a_lab_result": "a lab result",
        "pathology_department_of": "the pathology department of {facility}",
        "pathology_department": "the pathology department that examined your sample",
        "referral_missing": "The referral is not recorded yet.",
        "biopsy_or_surgery": "biopsy or surgery",
        "procedure": "procedure",
        "newest_from": "The newest is from {date}.",
        "no_dose_of": "No dose: {name}",
        "allergy_conflict": "One record says there are no known allergies; another lists some.",
        "no_images_for": "No images for the report: {exam}, {date}.",
        "no_date": "no date",
        "reason_no_images": "The report is here but its images are not.",
        "no_report_for": "No report for: {study}.",
        "reason_no_report": "The images are here but their written report is not.",
        "report_of": "report of your {exam}",
        "report_of_dated": "report of your {exam} of {date}",
        "prior_absent": "Not in your records: {exam} of {date}, named in the {report}.",
        "prior_undated": "The {report} compares with an earlier {exam} without a date.",
        "reason_prior": "Named as a comparison in the {report}.",
        "earlier_exam": "earlier exam",
        "series_named": "series {number} ({description})",
        "series_unnamed": "series {description}",
        "gaps": "{study}, {series}: images numbered {numbers} are missing.",
        "gaps_more": "{shown} and {n} more",
        "promised": "{study}, {series}: the files say {promised} images, {here} are here.",
        "media_listed": "{study}, {series}: the disc's index lists {listed} files, {here} are here.",
        "orphans": "{n} files listed in a disc's index are not on the disc.",
        "orphans_step": "Ask the place that made the disc for a new, complete copy.",
        "reason_incomplete": "The copy received is incomplete.",
        "only_screenshots": "only screenshots (secondary captures), not the original scan",
        "only_lossy": "only images compressed with loss of detail",
        "quality_detail": "{study}: {reason}.",
        "reason_copy_holds": "The copy holds {reason}.",
        "study_no_date": "{exam}: the study has no date.",
        "study_future": "{study}: the study is dated in the future.",
        "birth_after": "{study}: the birth date in the images is after the study date.",
        "doc_no_date": "{document} ({title}): no date.",
        "untitled": "untitled",
        "doc_future": "{document}: dated in the future.",
        "doc_before_study": "{document} is dated before its study ({study}).",
        "nobody_named": "No record names the patient.",
        "nobody_named_step": "Check that every record is yours: none of them names a patient the app could read.",
    },
    "es": {
        "unknown_facility": "el centro donde se hizo",
        "your_doctor": "la consulta de su médico",
        "unknown_date": "fecha desconocida",
        "accession": " (número de acceso {accession})",
        "and": "{first} y {last}",
        "more_steps": "{first} Las otras {n} se indican con este punto.",
        "field_main_concern": "su principal preocupación",
        "field_diagnosis": "el diagnóstico que le dieron",
        "field_plan": "el plan propuesto",
        "field_decision": "la decisión que debe tomar",
        "not_written": "Aún sin escribir: {what}.",
        "ev_concern": "Sobre usted: su preocupación",
        "ev_questions": "Sobre usted: {n} preguntas",
        "ev_symptom": "Síntoma: {what}",
        "ev_family": "Sobre usted: antecedentes familiares",
        "ev_field": "Sobre usted: {title}",
        "ev_insurance": "Sobre usted: seguro",
        "ev_medicines": "Sobre usted: medicamentos",
        "ev_allergies": "Sobre usted: alergias",
        "ev_details": "Sobre usted: sus datos",
        "no_date_of": "Sin fecha: {what}",
        "a_lab_result": "un resultado de laboratorio",
        "pathology_department_of": "el servicio de anatomía patológica de {facility}",
        "pathology_department": "el servicio de anatomía patológica que examinó su muestra",
        "referral_missing": "La derivación aún no consta.",
        "biopsy_or_surgery": "biopsia o cirugía",
        "procedure": "procedimiento",
        "newest_from": "La más reciente es del {date}.",
        "no_dose_of": "Sin dosis: {name}",
        "allergy_conflict": "Un documento dice que no hay alergias conocidas; otro menciona alguna.",
        "no_images_for": "No hay imágenes para el informe: {exam}, {date}.",
        "no_date": "sin fecha",
        "reason_no_images": "El informe está, pero sus imágenes no.",
        "no_report_for": "No hay informe de: {study}.",
        "reason_no_report": "Las imágenes están, pero su informe escrito no.",
        "report_of": "informe de su {exam}",
        "report_of_dated": "informe de su {exam} del {date}",
        "prior_absent": "No está en sus documentos: {exam} del {date}, citado en el {report}.",
        "prior_undated": "El {report} se compara con un {exam} anterior sin fecha.",
        "reason_prior": "Citado como comparación en el {report}.",
        "earlier_exam": "estudio anterior",
        "series_named": "serie {number} ({description})",
        "series_unnamed": "serie {description}",
        "gaps": "{study}, {series}: faltan las imágenes número {numbers}.",
        "gaps_more": "{shown} y {n} más",
        "promised": "{study}, {series}: los archivos indican {promised} imágenes y hay {here}.",
        "media_listed": "{study}, {series}: el índice del disco lista {listed} archivos y hay {here}.",
        "orphans": "{n} archivos del índice de un disco no están en el disco.",
        "orphans_step": "Pida al centro que hizo el disco una copia nueva y completa.",
        "reason_incomplete": "La copia recibida está incompleta.",
        "only_screenshots": "solo capturas de pantalla (capturas secundarias), no el estudio original",
        "only_lossy": "solo imágenes comprimidas con pérdida de detalle",
        "quality_detail": "{study}: {reason}.",
        "reason_copy_holds": "La copia contiene {reason}.",
        "study_no_date": "{exam}: el estudio no tiene fecha.",
        "study_future": "{study}: el estudio tiene fecha futura.",
        "birth_after": "{study}: la fecha de nacimiento de las imágenes es posterior al estudio.",
        "doc_no_date": "{document} ({title}): sin fecha.",
        "untitled": "sin título",
        "doc_future": "{document}: fecha futura.",
        "doc_before_study": "{document} tiene fecha anterior a su estudio ({study}).",
        "nobody_named": "Ningún documento nombra al paciente.",
        "nobody_named_step": "Compruebe que todos los documentos son suyos: ninguno nombra a un paciente que la aplicación pueda leer.",
    },
}


# Words of the records that name a procedure, for Spanish sentences ("su biopsia").
PROCEDURE_WORDS_ES = {
    "biopsy": "biopsia", "biopsies": "biopsias", "core needle": "biopsia con aguja gruesa",
    "fine needle aspiration": "punción aspiración con aguja fina", "fna": "punción aspiración con aguja fina",
    "resection": "resección", "resected": "resección", "excision": "extirpación", "excised": "extirpación",
    "surgery": "cirugía", "surgical": "cirugía", "operation": "operación", "operated": "operación",
    "lobectomy": "lobectomía", "segmentectomy": "segmentectomía", "wedge resection": "resección en cuña",
    "mastectomy": "mastectomía", "lumpectomy": "tumorectomía", "prostatectomy": "prostatectomía",
    "colectomy": "colectomía", "nephrectomy": "nefrectomía", "hysterectomy": "histerectomía",
    "thyroidectomy": "tiroidectomía", "gastrectomy": "gastrectomía", "appendectomy": "apendicectomía",
    "cholecystectomy": "colecistectomía", "craniotomy": "craneotomía", "arthroplasty": "artroplastia",
    "laparotomy": "laparotomía", "thoracotomy": "toracotomía",
}


def procedure_word(word: str, lang: str) -> str:
    """A procedure named in the records, in ``lang`` when it is a common word we know."""
    if lang != "es":
        return word
    key = word.casefold().strip()
    return PROCEDURE_WORDS_ES.get(key) or next(
        (v for k, v in PROCEDURE_WORDS_ES.items() if key.startswith(k)), word)


def message(lang: str, key: str, **values: object) -> str:
    """One phrase in ``lang`` (English when there is no translation) with its values filled in."""
    table = MESSAGES.get(lang, MESSAGES["en"])
    return table.get(key, MESSAGES["en"][key]).format(**values)
