<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES" sourcelanguage="en">
  <context>
    <name>AddRecordsView</name>
    <message>
      <location filename="../../ui/views/add_records.py" line="41" />
      <source>Add records</source>
      <translation>Añadir registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="48" />
      <source>Choose a hospital CD or DVD, a folder, or files: scans (DICOM), reports and letters as PDF, lab or medication lists (CSV), or a ZIP or disc image (ISO) of any of these. The app keeps its own copy; nothing on the original is changed.</source>
      <translation>Elija un CD o DVD del hospital, una carpeta o archivos: imágenes médicas (DICOM), informes y cartas en PDF, listas de análisis o de medicamentos (CSV), o un ZIP o una imagen de disco (ISO) con cualquiera de ellos. La aplicación guarda su propia copia; el original no se modifica.</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="53" />
      <source>What you can add</source>
      <translation>Qué puede añadir</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="59" />
      <source>Import from a CD or DVD…</source>
      <translation>Importar desde un CD o DVD…</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="59" />
      <source>Import from a CD or DVD</source>
      <translation>Importar desde un CD o DVD</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="60" />
      <source>Look for a CD or DVD in this computer and add what is on it</source>
      <translation>Buscar un CD o DVD en este ordenador y añadir lo que contiene</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="63" />
      <source>Add a folder or disc…</source>
      <translation>Añadir una carpeta o un disco…</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="63" />
      <source>Add a folder or disc</source>
      <translation>Añadir una carpeta o un disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="64" />
      <source>Add everything in a folder, or on a CD, DVD or USB stick</source>
      <translation>Añadir todo lo que hay en una carpeta, o en un CD, DVD o memoria USB</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="66" />
      <source>Add files…</source>
      <translation>Añadir archivos…</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="66" />
      <source>Add files</source>
      <translation>Añadir archivos</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="67" />
      <source>Add one or more files</source>
      <translation>Añadir uno o varios archivos</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="74" />
      <source>CDs and DVDs</source>
      <translation>CD y DVD</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="78" />
      <source>CDs and DVDs found</source>
      <translation>CD y DVD encontrados</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="83" />
      <source>Add this disc</source>
      <translation>Añadir este disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="83" />
      <source>Add the chosen disc</source>
      <translation>Añadir el disco elegido</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="87" />
      <location filename="../../ui/views/add_records.py" line="90" />
      <source>Drop files here</source>
      <translation>Suelte los archivos aquí</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="89" />
      <source>Or drag files and folders from your computer and drop them here.</source>
      <translation>O arrastre archivos y carpetas desde su ordenador y suéltelos aquí.</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="98" />
      <source>This case was opened from a package you received, so nothing can be added to it. Start a new case on the Start screen to gather your own records.</source>
      <translation>Este caso se abrió desde un paquete que usted recibió, así que no se le puede añadir nada. Empiece un caso nuevo en la pantalla Inicio para reunir sus propios registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="100" />
      <source>Read-only</source>
      <translation>Solo lectura</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="104" />
      <source>Last import</source>
      <translation>Última importación</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="126" />
      <source>Looking for a CD or DVD…</source>
      <translation>Buscando un CD o DVD…</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="147" />
      <source>No CD or DVD was found. Put the disc in, wait until the computer shows it, then try again. You can also choose the disc with “Add a folder or disc…”.</source>
      <translation>No se encontró ningún CD ni DVD. Introduzca el disco, espere a que el ordenador lo muestre y vuelva a intentarlo. También puede elegir el disco con «Añadir una carpeta o un disco…».</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="155" />
      <source>Adding the disc “{label}”…</source>
      <translation>Añadiendo el disco «{label}»…</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="160" />
      <source>Choose the disc to add:</source>
      <translation>Elija el disco que quiere añadir:</translation>
    </message>
    <message>
      <location filename="../../ui/views/add_records.py" line="162" />
      <source>{label} (in {place})</source>
      <translation>{label} (en {place})</translation>
    </message>
  </context>
  <context>
    <name>App</name>
    <message>
      <location filename="../../ui/app.py" line="315" />
      <source>Making the demo case…</source>
      <translation>Preparando el caso de demostración…</translation>
    </message>
  </context>
  <context>
    <name>CaseSession</name>
    <message>
      <location filename="../../ui/session.py" line="88" />
      <source>Your records could not be shown. Something went wrong.</source>
      <translation>No se pudieron mostrar sus registros. Algo salió mal.</translation>
    </message>
  </context>
  <context>
    <name>Checklist</name>
    <message>
      <location filename="../../ui/models/checklist.py" line="32" />
      <source>Missing</source>
      <translation>Falta</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="33" />
      <source>Needs attention</source>
      <translation>Requiere atención</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="34" />
      <source>Present</source>
      <translation>Presente</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="35" />
      <source>Not needed for this case</source>
      <translation>No es necesario para este caso</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="74" />
      <source>Needed</source>
      <translation>Necesario</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="74" />
      <source>Recommended</source>
      <translation>Recomendado</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="75" />
      <source>Not needed</source>
      <translation>No necesario</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="79" />
      <source>Item</source>
      <translation>Elemento</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="79" />
      <source>How important</source>
      <translation>Importancia</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="95" />
      <source>{group} ({n})</source>
      <translation>{group} ({n})</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="101" />
      <source>Next step: {step}</source>
      <translation>Siguiente paso: {step}</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="105" />
      <source>Found in: {record}</source>
      <translation>Encontrado en: {record}</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="132" />
      <source>{item}: {status}</source>
      <translation>{item}: {status}</translation>
    </message>
    <message>
      <location filename="../../ui/models/checklist.py" line="136" />
      <source>Double-click or press Enter to see this record.</source>
      <translation>Haga doble clic o pulse Intro para ver este registro.</translation>
    </message>
  </context>
  <context>
    <name>ChecklistView</name>
    <message>
      <location filename="../../ui/views/checklist.py" line="63" />
      <source>Checklist</source>
      <translation>Lista de comprobación</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="71" />
      <source>Check &amp;for:</source>
      <translation>Comprobar &amp;para:</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="73" />
      <location filename="../../ui/views/checklist.py" line="74" />
      <source>What the records are for</source>
      <translation>Para qué son los registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="81" />
      <source>Write request letters…</source>
      <translation>Escribir cartas de solicitud…</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="81" />
      <source>Write request letters</source>
      <translation>Escribir cartas de solicitud</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="83" />
      <source>Print missing-items sheet…</source>
      <translation>Imprimir la hoja de lo que falta…</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="83" />
      <source>Print missing-items sheet</source>
      <translation>Imprimir la hoja de lo que falta</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="88" />
      <source>About this checklist</source>
      <translation>Acerca de esta lista</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="92" />
      <source>Result</source>
      <translation>Resultado</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="96" />
      <source>Who the records are about</source>
      <translation>De quién son los registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="99" />
      <source>Stop sign</source>
      <translation>Señal de alto</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="106" />
      <location filename="../../ui/views/checklist.py" line="116" />
      <source>Identity check</source>
      <translation>Comprobación de identidad</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="124" />
      <source>Checklist items</source>
      <translation>Elementos de la lista</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="125" />
      <source>Missing items first, each with its next step and the records that show it. Enter opens a record.</source>
      <translation>Primero lo que falta, cada elemento con su siguiente paso y los registros que lo muestran. Intro abre un registro.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="134" />
      <source>Columns</source>
      <translation>Columnas</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="140" />
      <source>No checklist yet</source>
      <translation>Aún no hay lista</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="147" />
      <source>Selected item</source>
      <translation>Elemento seleccionado</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="172" />
      <source>Add your records first: the checklist compares them with what a second reviewer usually needs.</source>
      <translation>Añada primero sus registros: la lista los compara con lo que un segundo revisor suele necesitar.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="179" />
      <source>Checking your records…</source>
      <translation>Revisando sus registros…</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="227" />
      <source>Stop: check who these records belong to before you send them.</source>
      <translation>Alto: compruebe a quién pertenecen estos registros antes de enviarlos.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="229" />
      <source>Everything a reviewer needs is here.</source>
      <translation>Está todo lo que necesita un revisor.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="231" />
      <source>{missing} needed items are missing and {attention} need attention.</source>
      <translation>Faltan {missing} elementos necesarios y {attention} requieren atención.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="234" />
      <source>1 needed item is missing.</source>
      <translation>Falta 1 elemento necesario.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="235" />
      <source>{n} needed items are missing.</source>
      <translation>Faltan {n} elementos necesarios.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="236" />
      <source>1 item needs attention.</source>
      <translation>1 elemento requiere atención.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="237" />
      <source>{n} items need attention.</source>
      <translation>{n} elementos requieren atención.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="242" />
      <source>The checklist could not be made.</source>
      <translation>No se pudo hacer la lista.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="273" />
      <source>Stop: these records may be about more than one person</source>
      <translation>Alto: estos registros podrían ser de más de una persona</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="274" />
      <source>Please check who these records are about</source>
      <translation>Compruebe de quién son estos registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="285" />
      <source>in 1 record</source>
      <translation>en 1 registro</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="285" />
      <source>in {n} records</source>
      <translation>en {n} registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="288" />
      <source>{field}: {value}, {count}</source>
      <translation>{field}: {value}, {count}</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="311" />
      <source>Next step: {step}</source>
      <translation>Siguiente paso: {step}</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="335" />
      <source>Not available in this version of the app yet.</source>
      <translation>Todavía no está disponible en esta versión de la aplicación.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="337" />
      <source>Add records first.</source>
      <translation>Añada primero sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="345" />
      <source>PDF files (*.pdf)</source>
      <translation>Archivos PDF (*.pdf)</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="352" />
      <source>Save the request letters</source>
      <translation>Guardar las cartas de solicitud</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="352" />
      <source>Records request letters.pdf</source>
      <translation>Cartas de solicitud de registros.pdf</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="362" />
      <source>There is nothing to ask a hospital for: no letter was written.</source>
      <translation>No hay nada que pedir a un hospital: no se escribió ninguna carta.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="364" />
      <source>Letters written to {path}.</source>
      <translation>Cartas guardadas en {path}.</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="373" />
      <source>Save the missing-items sheet</source>
      <translation>Guardar la hoja de lo que falta</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="373" />
      <source>Missing items.pdf</source>
      <translation>Elementos que faltan.pdf</translation>
    </message>
    <message>
      <location filename="../../ui/views/checklist.py" line="382" />
      <source>Sheet written to {path}.</source>
      <translation>Hoja guardada en {path}.</translation>
    </message>
  </context>
  <context>
    <name>DocumentViewer</name>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="64" />
      <source>Document</source>
      <translation>Documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="82" />
      <source>What this is:</source>
      <translation>Qué es:</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="85" />
      <location filename="../../ui/views/document_viewer.py" line="86" />
      <source>What this document is</source>
      <translation>Qué es este documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="87" />
      <source>If this is wrong, choose what the document really is. The checklist uses it.</source>
      <translation>Si no es correcto, elija qué es realmente el documento. La lista de comprobación lo usa.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="95" />
      <source>What this is</source>
      <translation>Qué es</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="99" />
      <source>About this document</source>
      <translation>Acerca de este documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="105" />
      <source>Document views</source>
      <translation>Vistas del documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="108" />
      <source>Text of the document</source>
      <translation>Texto del documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="110" />
      <source>Highlighted words are explained: point at one, or press Tab to reach it and Enter to see it in the Plain words panel.</source>
      <translation>Las palabras resaltadas tienen explicación: señale una con el ratón, o pulse Tab para llegar a ella e Intro para verla en el panel En palabras sencillas.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="114" />
      <location filename="../../ui/views/document_viewer.py" line="124" />
      <source>Original document</source>
      <translation>Documento original</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="117" />
      <source>Pages of the document</source>
      <translation>Páginas del documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="122" />
      <source>Picture of the document</source>
      <translation>Imagen del documento</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="129" />
      <source>Text, with words explained</source>
      <translation>Texto, con palabras explicadas</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="130" />
      <source>Original</source>
      <translation>Original</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="178" />
      <source>Reading…</source>
      <translation>Leyendo…</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="203" />
      <source>Untitled document</source>
      <translation>Documento sin título</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="208" />
      <source>Not sure: please choose what this is.</source>
      <translation>No está claro: elija qué es esto.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="210" />
      <source>Chosen by you.</source>
      <translation>Elegido por usted.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="217" />
      <source>page</source>
      <translation>página</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="217" />
      <source>pages</source>
      <translation>páginas</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="252" />
      <source>This document could not be shown.</source>
      <translation>Este documento no se pudo mostrar.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="256" />
      <source>This document has no readable text. Its original is under “Original”.</source>
      <translation>Este documento no tiene texto legible. Su original está en «Original».</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="258" />
      <source>This document has no readable text.</source>
      <translation>Este documento no tiene texto legible.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="261" />
      <source>There is no text to explain in this document.</source>
      <translation>No hay texto que explicar en este documento.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="269" />
      <source>This PDF is protected by a password, so it cannot be shown here. It is still part of your records.</source>
      <translation>Este PDF está protegido con contraseña, así que no se puede mostrar aquí. Sigue formando parte de sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="272" />
      <source>This file is too large to show here. It is still part of your records.</source>
      <translation>Este archivo es demasiado grande para mostrarlo aquí. Sigue formando parte de sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="274" />
      <source>This file could not be shown. It is still part of your records.</source>
      <translation>Este archivo no se pudo mostrar. Sigue formando parte de sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="293" />
      <source>This PDF could not be shown. It is still part of your records.</source>
      <translation>Este PDF no se pudo mostrar. Sigue formando parte de sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="345" />
      <source>Added to your questions on the About you screen.</source>
      <translation>Añadida a sus preguntas en la pantalla Sobre usted.</translation>
    </message>
    <message>
      <location filename="../../ui/views/document_viewer.py" line="356" />
      <source>Saving…</source>
      <translation>Guardando…</translation>
    </message>
  </context>
  <context>
    <name>ExportView</name>
    <message>
      <location filename="../../ui/views/export.py" line="43" />
      <source>Export</source>
      <translation>Exportar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="52" />
      <source>Make one encrypted file with all your records to send to the second doctor, for example through a file-sharing link or on a USB stick. Only someone with the passphrase (or the matching key) can open it.</source>
      <translation>Haga un único archivo cifrado con todos sus registros para enviarlo al segundo médico, por ejemplo mediante un enlace para compartir archivos o en una memoria USB. Solo quien tenga la frase de contraseña (o la clave correspondiente) puede abrirlo.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="55" />
      <source>About exporting</source>
      <translation>Acerca de la exportación</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="59" />
      <source>1. Choose the kind of file</source>
      <translation>1. Elija el tipo de archivo</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="60" />
      <source>Encrypted package (.age): the most secure. The reviewer opens it with Records Bundler or the free “age” tool.</source>
      <translation>Paquete cifrado (.age): el más seguro. El revisor lo abre con Records Bundler o con la herramienta gratuita «age».</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="62" />
      <source>Encrypted ZIP (.zip): for reviewers who have 7-Zip, WinZip or Keka.</source>
      <translation>ZIP cifrado (.zip): para revisores que tienen 7-Zip, WinZip o Keka.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="63" />
      <source>Encrypted package, age format</source>
      <translation>Paquete cifrado, formato age</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="64" />
      <source>Encrypted ZIP file</source>
      <translation>Archivo ZIP cifrado</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="73" />
      <source>2. Choose how it is protected</source>
      <translation>2. Elija cómo se protege</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="74" />
      <source>A passphrase, made for you:</source>
      <translation>Una frase de contraseña, creada para usted:</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="75" />
      <source>Protect with a passphrase</source>
      <translation>Proteger con una frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="77" />
      <source>The reviewer's public key (it starts with age1):</source>
      <translation>La clave pública del revisor (empieza por age1):</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="78" />
      <source>Protect with the reviewer's public key</source>
      <translation>Proteger con la clave pública del revisor</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="92" />
      <source>Passphrase</source>
      <translation>Frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="98" />
      <source>Copy</source>
      <translation>Copiar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="98" />
      <source>Copy the passphrase</source>
      <translation>Copiar la frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="99" />
      <source>Print…</source>
      <translation>Imprimir…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="99" />
      <source>Print the passphrase</source>
      <translation>Imprimir la frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="100" />
      <source>Make another</source>
      <translation>Hacer otra</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="100" />
      <source>Make another passphrase</source>
      <translation>Hacer otra frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="106" />
      <source>Send the passphrase separately from the file: tell it by phone, or send it by text message, never in the same email.</source>
      <translation>Envíe la frase de contraseña aparte del archivo: dígala por teléfono o envíela por mensaje de texto, nunca en el mismo correo.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="108" />
      <source>Keep the passphrase apart</source>
      <translation>Guarde la frase de contraseña aparte</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="112" />
      <source>The reviewer's public key</source>
      <translation>La clave pública del revisor</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="118" />
      <source>3. Check what goes in</source>
      <translation>3. Revise lo que se incluye</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="120" />
      <source>Add a one-page summary for the reviewer (SUMMARY.PDF)</source>
      <translation>Añadir un resumen de una página para el revisor (SUMMARY.PDF)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="121" />
      <source>Add a one-page summary</source>
      <translation>Añadir un resumen de una página</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="122" />
      <source>Preview the summary…</source>
      <translation>Ver el resumen…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="122" />
      <source>Preview the summary</source>
      <translation>Ver el resumen</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="133" />
      <source>The summary page is not available in this version of the app yet.</source>
      <translation>La página de resumen todavía no está disponible en esta versión de la aplicación.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="138" />
      <source>Make the package…</source>
      <translation>Hacer el paquete…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="138" />
      <source>Make the package</source>
      <translation>Hacer el paquete</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="140" />
      <source>Cancel</source>
      <translation>Cancelar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="140" />
      <source>Cancel making the package</source>
      <translation>Cancelar la creación del paquete</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="143" />
      <source>Progress</source>
      <translation>Progreso</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="150" />
      <source>Export status</source>
      <translation>Estado de la exportación</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="153" />
      <location filename="../../ui/views/export.py" line="155" />
      <source>What to send</source>
      <translation>Qué enviar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="154" />
      <source>Your package is ready</source>
      <translation>Su paquete está listo</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="165" />
      <source>Or: a disc or USB stick for a doctor (not encrypted)</source>
      <translation>O bien: un disco o una memoria USB para un médico (sin cifrar)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="167" />
      <source>Like the hospital's own CDs: any DICOM viewer opens it. It is not encrypted, so hand it over in person.</source>
      <translation>Como los CD del propio hospital: cualquier visor DICOM lo abre. No está cifrado, así que entréguelo en persona.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="169" />
      <source>About the patient disc</source>
      <translation>Acerca del disco del paciente</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="172" />
      <source>Make a disc folder…</source>
      <translation>Hacer una carpeta de disco…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="172" />
      <source>Make a disc folder</source>
      <translation>Hacer una carpeta de disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="174" />
      <source>A folder to copy onto a USB stick or to burn</source>
      <translation>Una carpeta para copiar en una memoria USB o grabar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="175" />
      <source>Make a disc image (ISO)…</source>
      <translation>Hacer una imagen de disco (ISO)…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="175" />
      <source>Make a disc image</source>
      <translation>Hacer una imagen de disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="177" />
      <source>An ISO file that your computer's disc burner can write</source>
      <translation>Un archivo ISO que la grabadora de discos de su ordenador puede grabar</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="186" />
      <source>Patient discs are not available in this version of the app yet.</source>
      <translation>Los discos del paciente todavía no están disponibles en esta versión de la aplicación.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="205" />
      <source>The passphrase was copied. Paste it into a text message to the reviewer, not into the same email as the file.</source>
      <translation>Se copió la frase de contraseña. Péguela en un mensaje de texto al revisor, no en el mismo correo que el archivo.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="216" />
      <source>&lt;h2&gt;Passphrase for the records package&lt;/h2&gt;&lt;p style='font-size:20pt'&gt;&lt;tt&gt;{passphrase}&lt;/tt&gt;&lt;/p&gt;&lt;p&gt;Type it exactly as written, with the hyphens.&lt;/p&gt;</source>
      <translation>&lt;h2&gt;Frase de contraseña del paquete de registros&lt;/h2&gt;&lt;p style='font-size:20pt'&gt;&lt;tt&gt;{passphrase}&lt;/tt&gt;&lt;/p&gt;&lt;p&gt;Escríbala exactamente como aparece, con los guiones.&lt;/p&gt;</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="225" />
      <source>A ZIP file can only be protected by a passphrase.</source>
      <translation>Un archivo ZIP solo se puede proteger con una frase de contraseña.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="238" />
      <source>Add records first.</source>
      <translation>Añada primero sus registros.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="262" />
      <source>Medical records.zip</source>
      <translation>Registros médicos.zip</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="262" />
      <source>Medical records.age</source>
      <translation>Registros médicos.age</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="263" />
      <source>ZIP files (*.zip)</source>
      <translation>Archivos ZIP (*.zip)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="263" />
      <source>age files (*.age)</source>
      <translation>Archivos age (*.age)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="264" />
      <source>Save the package</source>
      <translation>Guardar el paquete</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="278" />
      <source>Paste the reviewer's public key first (it starts with age1).</source>
      <translation>Pegue primero la clave pública del revisor (empieza por age1).</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="283" />
      <source>Making the package…</source>
      <translation>Haciendo el paquete…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="319" />
      <source>Stopping…</source>
      <translation>Deteniendo…</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="328" />
      <source>Stopped. No file was made.</source>
      <translation>Detenido. No se creó ningún archivo.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="335" />
      <source>The package was not made.</source>
      <translation>No se hizo el paquete.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="340" />
      <source>Done.</source>
      <translation>Hecho.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="344" />
      <source>2. Separately — by phone or text message, never in the same email — the passphrase: &lt;b&gt;&lt;tt&gt;{passphrase}&lt;/tt&gt;&lt;/b&gt;</source>
      <translation>2. Por separado (por teléfono o mensaje de texto, nunca en el mismo correo), la frase de contraseña: &lt;b&gt;&lt;tt&gt;{passphrase}&lt;/tt&gt;&lt;/b&gt;</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="347" />
      <source>2. Nothing else: only the reviewer's own key opens it.</source>
      <translation>2. Nada más: solo la clave del propio revisor lo abre.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="349" />
      <source>The reviewer opens it with 7-Zip, WinZip or Keka and types the passphrase; inside, README.TXT says what is where, and any DICOM viewer opens the DICOM folder.</source>
      <translation>El revisor lo abre con 7-Zip, WinZip o Keka y escribe la frase de contraseña; dentro, README.TXT explica qué hay y dónde, y cualquier visor DICOM abre la carpeta DICOM.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="352" />
      <source>The reviewer opens it with Records Bundler (“Open a package I received”) or the free “age” tool; inside, README.TXT says what is where.</source>
      <translation>El revisor lo abre con Records Bundler («Abrir un paquete que recibí») o con la herramienta gratuita «age»; dentro, README.TXT explica qué hay y dónde.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="356" />
      <source>&lt;br&gt;Beside it is {name}: send it too, it explains how to open the package and holds no personal details.</source>
      <translation>&lt;br&gt;Junto a él está {name}: envíelo también; explica cómo abrir el paquete y no contiene datos personales.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="359" />
      <source>1. The file &lt;b&gt;{name}&lt;/b&gt; ({size}), in the folder {folder} — by a file-sharing link or on a USB stick; most email will not take large files.{extra}&lt;br&gt;{how}&lt;br&gt;&lt;br&gt;{opens}</source>
      <translation>1. El archivo &lt;b&gt;{name}&lt;/b&gt; ({size}), en la carpeta {folder}: mediante un enlace para compartir archivos o en una memoria USB; la mayoría del correo electrónico no acepta archivos grandes.{extra}&lt;br&gt;{how}&lt;br&gt;&lt;br&gt;{opens}</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="377" />
      <source>Save the summary page</source>
      <translation>Guardar la página de resumen</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="377" />
      <source>Summary.pdf</source>
      <translation>Resumen.pdf</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="378" />
      <source>PDF files (*.pdf)</source>
      <translation>Archivos PDF (*.pdf)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="395" />
      <source>Save the disc image</source>
      <translation>Guardar la imagen de disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="395" />
      <source>Medical records.iso</source>
      <translation>Registros médicos.iso</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="396" />
      <source>Disc images (*.iso)</source>
      <translation>Imágenes de disco (*.iso)</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="398" />
      <source>Choose an empty folder for the disc</source>
      <translation>Elija una carpeta vacía para el disco</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="409" />
      <source>The disc image is ready: {path}. Burn it with your computer's disc burner.</source>
      <translation>La imagen de disco está lista: {path}. Grábela con la grabadora de discos de su ordenador.</translation>
    </message>
    <message>
      <location filename="../../ui/views/export.py" line="410" />
      <source>The disc folder is ready: {path}. Copy everything in it to a USB stick, or burn it.</source>
      <translation>La carpeta del disco está lista: {path}. Copie todo su contenido en una memoria USB o grábelo.</translation>
    </message>
  </context>
  <context>
    <name>IntakeView</name>
    <message>
      <location filename="../../ui/views/intake.py" line="87" />
      <source>About you</source>
      <translation>Sobre usted</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="97" />
      <source>A second doctor reads your records better when they know what worries you and what you have been told. Write in your own words; leave out what you do not know. Everything is saved as you type, in this case only.</source>
      <translation>Un segundo médico lee mejor sus registros si sabe qué le preocupa y qué le han dicho. Escriba con sus propias palabras; deje en blanco lo que no sepa. Todo se guarda mientras escribe, solo en este caso.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="100" />
      <source>About this screen</source>
      <translation>Acerca de esta pantalla</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="103" />
      <source>Saving</source>
      <translation>Guardando</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="110" />
      <source>Why you want a second opinion</source>
      <translation>Por qué quiere una segunda opinión</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="112" />
      <source>Your main concern</source>
      <translation>Su preocupación principal</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="113" />
      <source>For example: a lung nodule that grew; I was told it is cancer.</source>
      <translation>Por ejemplo: un nódulo en el pulmón que creció; me dijeron que es cáncer.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="114" />
      <source>Diagnosis you were given</source>
      <translation>Diagnóstico que le dieron</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="114" />
      <source>As your doctor told you</source>
      <translation>Tal como se lo dijo su médico</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="115" />
      <source>Proposed treatment plan</source>
      <translation>Plan de tratamiento propuesto</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="116" />
      <source>The decision you face</source>
      <translation>La decisión que debe tomar</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="117" />
      <source>For example: surgery, or radiotherapy instead</source>
      <translation>Por ejemplo: cirugía, o radioterapia en su lugar</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="118" />
      <source>Main concern</source>
      <translation>Preocupación principal</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="118" />
      <source>Diagnosis</source>
      <translation>Diagnóstico</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="119" />
      <source>Proposed plan</source>
      <translation>Plan propuesto</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="119" />
      <source>Decision</source>
      <translation>Decisión</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="126" />
      <source>Questions for the reviewer</source>
      <translation>Preguntas para el revisor</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="127" />
      <source>Tick the questions you want answered (Space ticks the highlighted one), and add your own.</source>
      <translation>Marque las preguntas que quiere que le respondan (la barra espaciadora marca la resaltada) y añada las suyas.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="130" />
      <source>Questions to ask</source>
      <translation>Preguntas que hacer</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="140" />
      <source>Your own questions, one per line:</source>
      <translation>Sus propias preguntas, una por línea:</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="141" />
      <source>Your own questions, one per line</source>
      <translation>Sus propias preguntas, una por línea</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="142" />
      <source>For example: Can I keep working during treatment?</source>
      <translation>Por ejemplo: ¿Puedo seguir trabajando durante el tratamiento?</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="148" />
      <source>Your symptoms over time</source>
      <translation>Sus síntomas a lo largo del tiempo</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="149" />
      <source>When it started, how it changed, what helped and what did not. Dates can be as precise as you remember: 2025, 2025-06 or 2025-06-14.</source>
      <translation>Cuándo empezó, cómo cambió, qué ayudó y qué no. Las fechas pueden ser tan precisas como las recuerde: 2025, 2025-06 o 2025-06-14.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="153" />
      <source>When</source>
      <translation>Cuándo</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="153" />
      <source>2025-06</source>
      <translation>2025-06</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="154" />
      <source>What happened</source>
      <translation>Qué pasó</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="155" />
      <source>What helped</source>
      <translation>Qué ayudó</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="156" />
      <source>What did not help</source>
      <translation>Qué no ayudó</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="157" />
      <source>Add a symptom</source>
      <translation>Añadir un síntoma</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="158" />
      <source>Symptom {n}</source>
      <translation>Síntoma {n}</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="164" />
      <source>Medicines and supplements</source>
      <translation>Medicamentos y suplementos</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="165" />
      <source>Everything you take, with the dose, and any side effects.</source>
      <translation>Todo lo que toma, con la dosis, y cualquier efecto secundario.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="166" />
      <location filename="../../ui/views/intake.py" line="167" />
      <source>I take no medicines or supplements</source>
      <translation>No tomo medicamentos ni suplementos</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="170" />
      <location filename="../../ui/views/intake.py" line="247" />
      <source>Name</source>
      <translation>Nombre</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="170" />
      <source>Dose</source>
      <translation>Dosis</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="171" />
      <source>How often</source>
      <translation>Con qué frecuencia</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="172" />
      <source>Started</source>
      <translation>Empezó</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="172" />
      <source>2023-05</source>
      <translation>2023-05</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="173" />
      <source>Stopped</source>
      <translation>Dejó</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="174" />
      <source>Side effects, notes</source>
      <translation>Efectos secundarios, notas</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="175" />
      <source>Add a medicine</source>
      <translation>Añadir un medicamento</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="176" />
      <source>Medicine {n}</source>
      <translation>Medicamento {n}</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="182" />
      <source>Allergies and reactions</source>
      <translation>Alergias y reacciones</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="183" />
      <location filename="../../ui/views/intake.py" line="184" />
      <source>No known allergies</source>
      <translation>Sin alergias conocidas</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="187" />
      <source>Allergic to</source>
      <translation>Alérgico a</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="187" />
      <source>Reaction</source>
      <translation>Reacción</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="188" />
      <source>How bad</source>
      <translation>Gravedad</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="188" />
      <source>mild, moderate, severe</source>
      <translation>leve, moderada, grave</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="189" />
      <source>Add an allergy</source>
      <translation>Añadir una alergia</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="190" />
      <source>Allergy {n}</source>
      <translation>Alergia {n}</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="196" />
      <location filename="../../ui/views/intake.py" line="201" />
      <source>Family history</source>
      <translation>Antecedentes familiares</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="197" />
      <source>Illnesses of parents, brothers, sisters and children that may matter.</source>
      <translation>Enfermedades de padres, hermanos, hermanas e hijos que puedan importar.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="198" />
      <source>None known</source>
      <translation>Ninguno conocido</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="199" />
      <source>No family history known</source>
      <translation>Sin antecedentes familiares conocidos</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="202" />
      <source>For example: Father: lung cancer at 68.</source>
      <translation>Por ejemplo: Padre: cáncer de pulmón a los 68.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="207" />
      <source>Insurance and referral</source>
      <translation>Seguro y derivación</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="208" />
      <source>Some plans pay for a second opinion only with a referral or an authorization.</source>
      <translation>Algunos seguros solo pagan una segunda opinión con una derivación o una autorización.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="210" />
      <location filename="../../ui/views/intake.py" line="220" />
      <source>Insurer</source>
      <translation>Aseguradora</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="211" />
      <location filename="../../ui/views/intake.py" line="220" />
      <source>Member number</source>
      <translation>Número de afiliado</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="212" />
      <source>Insurance plan</source>
      <translation>Plan del seguro</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="214" />
      <location filename="../../ui/views/intake.py" line="215" />
      <source>Referral needed</source>
      <translation>Necesita derivación</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="216" />
      <source>I do not know</source>
      <translation>No lo sé</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="216" />
      <source>Yes</source>
      <translation>Sí</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="216" />
      <source>No</source>
      <translation>No</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="218" />
      <location filename="../../ui/views/intake.py" line="223" />
      <source>Referral</source>
      <translation>Derivación</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="218" />
      <source>Referral number, or who wrote it</source>
      <translation>Número de derivación, o quién la hizo</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="219" />
      <location filename="../../ui/views/intake.py" line="223" />
      <source>Authorization</source>
      <translation>Autorización</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="221" />
      <source>Plan</source>
      <translation>Plan</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="222" />
      <source>Referral needed?</source>
      <translation>¿Necesita derivación?</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="230" />
      <location filename="../../ui/views/intake.py" line="234" />
      <source>Pathology slides</source>
      <translation>Laminillas de patología</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="231" />
      <source>If a biopsy or an operation was done: who keeps the slides and blocks, and can they be sent to the reviewer?</source>
      <translation>Si se hizo una biopsia o una operación: ¿quién guarda las laminillas y los bloques, y se pueden enviar al revisor?</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="239" />
      <source>Your details</source>
      <translation>Sus datos</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="240" />
      <source>Used in request letters to hospitals and on the summary page.</source>
      <translation>Se usa en las cartas de solicitud a los hospitales y en la página de resumen.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="242" />
      <source>Your name</source>
      <translation>Su nombre</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="243" />
      <location filename="../../ui/views/intake.py" line="247" />
      <source>Date of birth</source>
      <translation>Fecha de nacimiento</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="243" />
      <source>1962-08-23</source>
      <translation>1962-08-23</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="244" />
      <location filename="../../ui/views/intake.py" line="248" />
      <source>Address</source>
      <translation>Dirección</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="245" />
      <location filename="../../ui/views/intake.py" line="248" />
      <source>Phone</source>
      <translation>Teléfono</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="246" />
      <location filename="../../ui/views/intake.py" line="249" />
      <source>Email</source>
      <translation>Correo electrónico</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="301" />
      <source>This case was opened from a package; these answers are read-only.</source>
      <translation>Este caso se abrió desde un paquete; estas respuestas son de solo lectura.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="433" />
      <source>Saving…</source>
      <translation>Guardando…</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="439" />
      <source>Write the date as 1962-08-23 (year, month, day).</source>
      <translation>Escriba la fecha como 1962-08-23 (año, mes, día).</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="482" />
      <source>All your answers are saved.</source>
      <translation>Todas sus respuestas están guardadas.</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="489" />
      <source>Not saved: {reason}</source>
      <translation>No se guardó: {reason}</translation>
    </message>
    <message>
      <location filename="../../ui/views/intake.py" line="492" />
      <source>Not saved. Something went wrong.</source>
      <translation>No se guardó. Algo salió mal.</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <location filename="../../ui/main_window.py" line="62" />
      <source>Start</source>
      <translation>Inicio</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="63" />
      <source>Add records</source>
      <translation>Añadir registros</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="64" />
      <source>Records</source>
      <translation>Registros</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="65" />
      <source>About you</source>
      <translation>Sobre usted</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="66" />
      <source>Timeline</source>
      <translation>Cronología</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="67" />
      <source>Checklist</source>
      <translation>Lista de comprobación</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="68" />
      <source>Export</source>
      <translation>Exportar</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="102" />
      <source>Screens</source>
      <translation>Pantallas</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="103" />
      <source>Choose a screen. Control and a number key also go there.</source>
      <translation>Elija una pantalla. Control y una tecla numérica también llevan a ella.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="111" />
      <source>Screen</source>
      <translation>Pantalla</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="158" />
      <source>Status</source>
      <translation>Estado</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="201" />
      <source>Records without a name</source>
      <translation>Registros sin nombre</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="202" />
      <source>study</source>
      <translation>estudio</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="202" />
      <source>studies</source>
      <translation>estudios</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="203" />
      <source>document</source>
      <translation>documento</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="203" />
      <source>documents</source>
      <translation>documentos</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="204" />
      <source>{who} — {studies}, {documents}</source>
      <translation>{who}: {studies}, {documents}</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="209" />
      <source>&amp;File</source>
      <translation>&amp;Archivo</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="210" />
      <source>&amp;New case</source>
      <translation>Caso &amp;nuevo</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="211" />
      <source>Open a &amp;package I received…</source>
      <translation>Abrir un &amp;paquete que recibí…</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="213" />
      <source>Add a &amp;folder or disc…</source>
      <translation>Añadir una &amp;carpeta o un disco…</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="215" />
      <source>Add &amp;files…</source>
      <translation>Añadir &amp;archivos…</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="219" />
      <source>&amp;Quit</source>
      <translation>&amp;Salir</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="222" />
      <source>&amp;Go</source>
      <translation>&amp;Ir</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="234" />
      <source>&amp;Language</source>
      <translation>&amp;Idioma</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="236" />
      <source>As on this computer</source>
      <translation>El de este ordenador</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="247" />
      <source>&amp;Help</source>
      <translation>A&amp;yuda</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="248" />
      <source>&amp;About Records Bundler</source>
      <translation>&amp;Acerca de Records Bundler</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="257" />
      <source>The app is already in this language.</source>
      <translation>La aplicación ya está en este idioma.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="260" />
      <source>Saved. The app will use this language the next time you open it.</source>
      <translation>Guardado. La aplicación usará este idioma la próxima vez que la abra.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="282" />
      <source>That record is not in this case.</source>
      <translation>Ese registro no está en este caso.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="290" />
      <source>About {app}</source>
      <translation>Acerca de {app}</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="291" />
      <source>{app} {version}

Gathers medical records for a second opinion, checks what is missing, and exports an encrypted package.</source>
      <translation>{app} {version}

Reúne registros médicos para una segunda opinión, comprueba lo que falta y exporta un paquete cifrado.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="301" />
      <source>Please wait until the current task has finished.</source>
      <translation>Espere a que termine la tarea en curso.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="322" />
      <source>A new, empty case. Add records, or tell us about you.</source>
      <translation>Un caso nuevo y vacío. Añada registros o cuéntenos sobre usted.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="359" />
      <source>Opening the package…</source>
      <translation>Abriendo el paquete…</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="362" />
      <source>Stopped. Nothing was opened.</source>
      <translation>Detenido. No se abrió nada.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="364" />
      <source>Stopping… Nothing will be kept.</source>
      <translation>Deteniendo… No se guardará nada.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="377" />
      <source>Choose a folder or disc to add</source>
      <translation>Elija una carpeta o un disco para añadir</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="384" />
      <source>Choose files to add</source>
      <translation>Elija los archivos que quiere añadir</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="387" />
      <source>All files (*);;PDF documents (*.pdf);;Lists (*.csv *.tsv);;ZIP archives (*.zip);;Disc images (*.iso)</source>
      <translation>Todos los archivos (*);;Documentos PDF (*.pdf);;Listas (*.csv *.tsv);;Archivos ZIP (*.zip);;Imágenes de disco (*.iso)</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="398" />
      <source>Adding records…</source>
      <translation>Añadiendo registros…</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="417" />
      <source>This case was opened from a package and is read-only.</source>
      <translation>Este caso se abrió desde un paquete y es de solo lectura.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="429" />
      <source>Stopped. Nothing from that import was added.</source>
      <translation>Detenido. No se añadió nada de esa importación.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="430" />
      <source>Stopping… Nothing from this import will be kept.</source>
      <translation>Deteniendo… No se guardará nada de esta importación.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="446" />
      <source>Please wait: the current task is still running.</source>
      <translation>Espere: la tarea en curso todavía no ha terminado.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="448" />
      <source>Cancel</source>
      <translation>Cancelar</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="511" />
      <source>A package is still being opened.</source>
      <translation>Todavía se está abriendo un paquete.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="512" />
      <source>If you close now, it stops and nothing is opened. You can open it again later.</source>
      <translation>Si cierra ahora, se detiene y no se abre nada. Puede volver a abrirlo más tarde.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="514" />
      <source>Records are still being added.</source>
      <translation>Todavía se están añadiendo registros.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="515" />
      <source>If you close now, the import stops and nothing from it is kept; your records from before are safe. You can add them again later.</source>
      <translation>Si cierra ahora, la importación se detiene y no se guarda nada de ella; sus registros anteriores están a salvo. Puede volver a añadirlos más tarde.</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="517" />
      <location filename="../../ui/main_window.py" line="519" />
      <source>Stop and close</source>
      <translation>Detener y cerrar</translation>
    </message>
    <message>
      <location filename="../../ui/main_window.py" line="518" />
      <location filename="../../ui/main_window.py" line="520" />
      <source>Keep going</source>
      <translation>Seguir</translation>
    </message>
  </context>
  <context>
    <name>PackageKeyDialog</name>
    <message>
      <location filename="../../ui/views/start.py" line="241" />
      <location filename="../../ui/views/start.py" line="242" />
      <source>Open a package</source>
      <translation>Abrir un paquete</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="244" />
      <source>The sender gave you a passphrase (a few words joined by hyphens), or the package was made for your key file.</source>
      <translation>Quien lo envió le dio una frase de contraseña (unas palabras unidas por guiones), o el paquete se hizo para su archivo de clave.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="246" />
      <source>How to open it</source>
      <translation>Cómo abrirlo</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="248" />
      <source>&amp;Passphrase:</source>
      <translation>&amp;Frase de contraseña:</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="249" />
      <source>&amp;Key file:</source>
      <translation>Archivo de &amp;clave:</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="255" />
      <source>Passphrase</source>
      <translation>Frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="257" />
      <source>Show</source>
      <translation>Mostrar</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="258" />
      <source>Show the passphrase</source>
      <translation>Mostrar la frase de contraseña</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="262" />
      <source>Key file</source>
      <translation>Archivo de clave</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="263" />
      <source>Choose…</source>
      <translation>Elegir…</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="264" />
      <source>Choose the key file</source>
      <translation>Elija el archivo de clave</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="282" />
      <source>Choose your key file</source>
      <translation>Elija su archivo de clave</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="283" />
      <source>Key files (*.txt *.key);;All files (*)</source>
      <translation>Archivos de clave (*.txt *.key);;Todos los archivos (*)</translation>
    </message>
  </context>
  <context>
    <name>PlainWordsPanel</name>
    <message>
      <location filename="../../ui/views/plain_words.py" line="82" />
      <location filename="../../ui/views/plain_words.py" line="93" />
      <location filename="../../ui/views/plain_words.py" line="167" />
      <source>Plain words</source>
      <translation>En palabras sencillas</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="96" />
      <location filename="../../ui/views/plain_words.py" line="97" />
      <location filename="../../ui/views/plain_words.py" line="98" />
      <source>Language of the explanations</source>
      <translation>Idioma de las explicaciones</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="106" />
      <location filename="../../ui/views/plain_words.py" line="107" />
      <location filename="../../ui/views/plain_words.py" line="170" />
      <location filename="../../ui/views/plain_words.py" line="171" />
      <source>About these explanations</source>
      <translation>Acerca de estas explicaciones</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="114" />
      <location filename="../../ui/views/plain_words.py" line="123" />
      <location filename="../../ui/views/plain_words.py" line="172" />
      <source>Explanations</source>
      <translation>Explicaciones</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="126" />
      <source>The word you chose</source>
      <translation>La palabra que eligió</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="130" />
      <location filename="../../ui/views/plain_words.py" line="135" />
      <location filename="../../ui/views/plain_words.py" line="173" />
      <source>Questions you could ask</source>
      <translation>Preguntas que podría hacer</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="133" />
      <location filename="../../ui/views/plain_words.py" line="175" />
      <source>The report uses wording that leaves some doubt, or a category that guides the next step. These questions may help when you talk to your doctor.</source>
      <translation>El informe usa expresiones que dejan alguna duda, o una categoría que orienta el siguiente paso. Estas preguntas pueden ayudarle cuando hable con su médico.</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="141" />
      <location filename="../../ui/views/plain_words.py" line="177" />
      <source>Words explained</source>
      <translation>Palabras explicadas</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="217" />
      <source>No words from the glossary were found in this document.</source>
      <translation>No se encontraron en este documento palabras del glosario.</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="241" />
      <source>The word you chose: {word}</source>
      <translation>La palabra que eligió: {word}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="245" />
      <source>{written} ({term})</source>
      <translation>{written} ({term})</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="247" />
      <location filename="../../ui/views/plain_words.py" line="270" />
      <location filename="../../ui/views/plain_words.py" line="280" />
      <source>What it means</source>
      <translation>Qué significa</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="251" />
      <source>Checked against: {reference}</source>
      <translation>Verificado con: {reference}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="252" />
      <source>Source</source>
      <translation>Fuente</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="266" />
      <source>Category: {phrase}</source>
      <translation>Categoría: {phrase}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="266" />
      <source>Wording: {phrase}</source>
      <translation>Expresión: {phrase}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="272" />
      <source>In the report: {sentence}</source>
      <translation>En el informe: {sentence}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="273" />
      <source>Where the report says it</source>
      <translation>Dónde lo dice el informe</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="288" />
      <source>You could ask: {question}</source>
      <translation>Podría preguntar: {question}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="289" />
      <source>Question you could ask</source>
      <translation>Pregunta que podría hacer</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="290" />
      <location filename="../../ui/views/plain_words.py" line="305" />
      <source>Add to my questions</source>
      <translation>Añadir a mis preguntas</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="290" />
      <source>Add to my questions: {question}</source>
      <translation>Añadir a mis preguntas: {question}</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="291" />
      <source>Adds this question to “Questions for the reviewer” on the About you screen</source>
      <translation>Añade esta pregunta a «Preguntas para el revisor» en la pantalla Sobre usted</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="305" />
      <source>Added to your questions</source>
      <translation>Añadida a sus preguntas</translation>
    </message>
    <message>
      <location filename="../../ui/views/plain_words.py" line="311" />
      <source>{term} (“{written}”)</source>
      <translation>{term} («{written}»)</translation>
    </message>
  </context>
  <context>
    <name>RecordsModel</name>
    <message>
      <location filename="../../ui/models/records.py" line="50" />
      <source>Record</source>
      <translation>Registro</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="50" />
      <source>Date</source>
      <translation>Fecha</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="51" />
      <source>Type</source>
      <translation>Tipo</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="51" />
      <source>Contents</source>
      <translation>Contenido</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="64" />
      <source>Scans and images ({count})</source>
      <translation>Exploraciones e imágenes ({count})</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="69" />
      <source>Documents ({count})</source>
      <translation>Documentos ({count})</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="78" />
      <source>Where: {place}</source>
      <translation>Dónde: {place}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="79" />
      <source>Referred by: {name}</source>
      <translation>Derivado por: {name}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="80" />
      <source>Accession number: {number}</source>
      <translation>Número de acceso: {number}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="84" />
      <source>Imaging study</source>
      <translation>Estudio de imagen</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="97" />
      <source>Series {number}: {name}</source>
      <translation>Serie {number}: {name}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="97" />
      <source>Series {number}</source>
      <translation>Serie {number}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="101" />
      <source>Series</source>
      <translation>Serie</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="108" />
      <source>Body part: {part}</source>
      <translation>Parte del cuerpo: {part}</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="115" />
      <source>page</source>
      <translation>página</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="115" />
      <source>pages</source>
      <translation>páginas</translation>
    </message>
    <message>
      <location filename="../../ui/models/records.py" line="118" />
      <source>Untitled document</source>
      <translation>Documento sin título</translation>
    </message>
  </context>
  <context>
    <name>RecordsView</name>
    <message>
      <location filename="../../ui/views/records.py" line="43" />
      <source>Records</source>
      <translation>Registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="46" />
      <source>Patient</source>
      <translation>Paciente</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="48" />
      <source>These records were opened from a package you received. They are read-only.</source>
      <translation>Estos registros se abrieron desde un paquete que usted recibió. Son de solo lectura.</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="49" />
      <source>Read-only</source>
      <translation>Solo lectura</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="55" />
      <source>Add records…</source>
      <translation>Añadir registros…</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="56" />
      <location filename="../../ui/views/records.py" line="59" />
      <source>Add records</source>
      <translation>Añadir registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="57" />
      <source>Add a folder, a disc or files to these records</source>
      <translation>Añadir una carpeta, un disco o archivos a estos registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="60" />
      <source>A folder or disc…</source>
      <translation>Una carpeta o un disco…</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="61" />
      <source>Files…</source>
      <translation>Archivos…</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="71" />
      <source>Your records</source>
      <translation>Sus registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="72" />
      <source>Scans and images by study and series, then documents</source>
      <translation>Exploraciones e imágenes por estudio y serie, y después los documentos</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="80" />
      <source>Columns</source>
      <translation>Columnas</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="89" />
      <source>No records</source>
      <translation>No hay registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="91" />
      <source>Records list</source>
      <translation>Lista de registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="101" />
      <source>The chosen record</source>
      <translation>El registro elegido</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="114" />
      <source>Last import</source>
      <translation>Última importación</translation>
    </message>
    <message>
      <location filename="../../ui/views/records.py" line="132" />
      <source>No records yet.

Choose “Add records…” to bring in a disc, a folder or files.</source>
      <translation>Todavía no hay registros.

Elija «Añadir registros…» para traer un disco, una carpeta o archivos.</translation>
    </message>
  </context>
  <context>
    <name>RowsEditor</name>
    <message>
      <location filename="../../ui/views/rows.py" line="113" />
      <source>Remove</source>
      <translation>Quitar</translation>
    </message>
    <message>
      <location filename="../../ui/views/rows.py" line="155" />
      <source>{row}: {field}</source>
      <translation>{row}: {field}</translation>
    </message>
    <message>
      <location filename="../../ui/views/rows.py" line="156" />
      <location filename="../../ui/views/rows.py" line="157" />
      <source>Remove {row}</source>
      <translation>Quitar {row}</translation>
    </message>
    <message>
      <location filename="../../ui/views/rows.py" line="166" />
      <source>A date: 2025, 2025-06 or 2025-06-14</source>
      <translation>Una fecha: 2025, 2025-06 o 2025-06-14</translation>
    </message>
    <message>
      <location filename="../../ui/views/rows.py" line="169" />
      <source>Write the date as 2025, 2025-06 or 2025-06-14 (year, month, day).</source>
      <translation>Escriba la fecha como 2025, 2025-06 o 2025-06-14 (año, mes, día).</translation>
    </message>
  </context>
  <context>
    <name>SeriesViewer</name>
    <message>
      <location filename="../../ui/imaging.py" line="57" />
      <source>Lung</source>
      <translation>Pulmón</translation>
    </message>
    <message>
      <location filename="../../ui/imaging.py" line="58" />
      <source>Soft tissue</source>
      <translation>Tejidos blandos</translation>
    </message>
    <message>
      <location filename="../../ui/imaging.py" line="59" />
      <source>Bone</source>
      <translation>Hueso</translation>
    </message>
    <message>
      <location filename="../../ui/imaging.py" line="60" />
      <source>Brain</source>
      <translation>Cerebro</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="46" />
      <source>Image viewer</source>
      <translation>Visor de imágenes</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="63" />
      <source>Which image</source>
      <translation>Qué imagen</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="64" />
      <source>Image 888 of 888</source>
      <translation>Imagen 888 de 888</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="67" />
      <location filename="../../ui/views/series_viewer.py" line="97" />
      <source>Image</source>
      <translation>Imagen</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="68" />
      <source>Move through the images of this series</source>
      <translation>Recorrer las imágenes de esta serie</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="73" />
      <source>Contrast:</source>
      <translation>Contraste:</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="76" />
      <location filename="../../ui/views/series_viewer.py" line="77" />
      <source>Contrast</source>
      <translation>Contraste</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="78" />
      <source>Brightness and contrast for CT images: the usual settings for looking at lungs, soft tissue, bone or the brain</source>
      <translation>Brillo y contraste para imágenes de TC: los ajustes habituales para ver pulmones, tejidos blandos, hueso o cerebro</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="83" />
      <source>Fit</source>
      <translation>Ajustar</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="83" />
      <source>Fit the image to the view</source>
      <translation>Ajustar la imagen a la vista</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="84" />
      <source>Show the whole image (0)</source>
      <translation>Mostrar la imagen entera (0)</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="85" />
      <source>−</source>
      <translation>−</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="85" />
      <source>Zoom out</source>
      <translation>Reducir</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="86" />
      <source>Zoom out (Ctrl and the mouse wheel, or -)</source>
      <translation>Reducir (Ctrl y la rueda del ratón, o -)</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="87" />
      <source>+</source>
      <translation>+</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="87" />
      <source>Zoom in</source>
      <translation>Ampliar</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="88" />
      <source>Zoom in (Ctrl and the mouse wheel, or +)</source>
      <translation>Ampliar (Ctrl y la rueda del ratón, o +)</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="98" />
      <source>The mouse wheel or the arrow keys move through the images; Ctrl and the wheel zoom</source>
      <translation>La rueda del ratón o las teclas de flecha recorren las imágenes; Ctrl y la rueda amplían</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="105" />
      <source>About this image</source>
      <translation>Acerca de esta imagen</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="108" />
      <source>For looking only: the reviewer's own viewer is what counts for a diagnosis.</source>
      <translation>Solo para mirar: para un diagnóstico cuenta el visor del propio revisor.</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="109" />
      <source>About this viewer</source>
      <translation>Acerca de este visor</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="129" />
      <source>Series</source>
      <translation>Serie</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="131" />
      <source>{study} — {series}</source>
      <translation>{study}: {series}</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="148" />
      <source>This series has no pictures to show ({contents}).</source>
      <translation>Esta serie no tiene imágenes que mostrar ({contents}).</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="149" />
      <source>This series has no pictures to show.</source>
      <translation>Esta serie no tiene imágenes que mostrar.</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="185" />
      <source>As saved in the scan</source>
      <translation>Como se guardó en la exploración</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="190" />
      <source>Automatic</source>
      <translation>Automático</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="210" />
      <source>Frame {n} of {total}</source>
      <translation>Fotograma {n} de {total}</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="212" />
      <source>Image {n} of {total}</source>
      <translation>Imagen {n} de {total}</translation>
    </message>
    <message>
      <location filename="../../ui/views/series_viewer.py" line="249" />
      <source>This image cannot be shown here. It is still part of your records, and the reviewer's viewer may show it.</source>
      <translation>Esta imagen no se puede mostrar aquí. Sigue formando parte de sus registros, y el visor del revisor quizá la muestre.</translation>
    </message>
  </context>
  <context>
    <name>StartView</name>
    <message>
      <location filename="../../ui/views/start.py" line="41" />
      <source>Welcome</source>
      <translation>Bienvenido</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="45" />
      <source>Records Bundler gathers your medical records – scans on a hospital disc, reports and letters – so that a second doctor can review them. It checks what a reviewer usually needs and packs everything into one encrypted file.</source>
      <translation>Records Bundler reúne sus registros médicos (las imágenes de un disco del hospital, informes y cartas) para que un segundo médico pueda revisarlos. Comprueba lo que un revisor suele necesitar y lo empaqueta todo en un único archivo cifrado.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="48" />
      <source>About this app</source>
      <translation>Acerca de esta aplicación</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="52" />
      <location filename="../../ui/views/start.py" line="53" />
      <source>Emergencies first</source>
      <translation>Primero, las emergencias</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="55" />
      <source>A second opinion takes days or weeks. If you have signs of a stroke (a drooping face, a weak arm, slurred speech), crushing chest pain, severe trouble breathing, heavy bleeding, a severe allergic reaction, or thoughts of harming yourself, call your local emergency number now. This app does not give medical advice or a diagnosis.</source>
      <translation>Una segunda opinión tarda días o semanas. Si tiene signos de un ictus (la cara caída, un brazo débil, dificultad para hablar), un dolor opresivo en el pecho, mucha dificultad para respirar, una hemorragia abundante, una reacción alérgica grave o pensamientos de hacerse daño, llame ahora al número de emergencias de su zona. Esta aplicación no da consejo médico ni un diagnóstico.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="59" />
      <source>Safety note</source>
      <translation>Nota de seguridad</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="61" />
      <source>I understand</source>
      <translation>Entendido</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="61" />
      <source>I understand, hide this note</source>
      <translation>Entendido, ocultar esta nota</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="67" />
      <source>What would you like to do?</source>
      <translation>¿Qué quiere hacer?</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="70" />
      <source>Add records…</source>
      <translation>Añadir registros…</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="70" />
      <source>Add records</source>
      <translation>Añadir registros</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="72" />
      <source>Bring in a hospital CD, a folder or files</source>
      <translation>Traiga un CD del hospital, una carpeta o archivos</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="73" />
      <location filename="../../ui/views/start.py" line="73" />
      <source>New case</source>
      <translation>Caso nuevo</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="74" />
      <source>Start gathering records for another person or another question</source>
      <translation>Empezar a reunir registros de otra persona o para otra pregunta</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="75" />
      <source>Open a package I received…</source>
      <translation>Abrir un paquete que recibí…</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="75" />
      <source>Open a package I received</source>
      <translation>Abrir un paquete que recibí</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="77" />
      <source>For reviewers: open an encrypted package someone sent you</source>
      <translation>Para revisores: abrir un paquete cifrado que alguien le envió</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="82" />
      <location filename="../../ui/views/start.py" line="83" />
      <source>The package you opened</source>
      <translation>El paquete que abrió</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="89" />
      <location filename="../../ui/views/start.py" line="91" />
      <location filename="../../ui/views/start.py" line="104" />
      <source>Recent cases</source>
      <translation>Casos recientes</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="92" />
      <source>Press Enter or double-click to open a case</source>
      <translation>Pulse Intro o haga doble clic para abrir un caso</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="97" />
      <source>Delete the selected case…</source>
      <translation>Eliminar el caso seleccionado…</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="97" />
      <source>Delete the selected case</source>
      <translation>Eliminar el caso seleccionado</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="99" />
      <source>Remove the case and its copies of the records from this computer</source>
      <translation>Quitar de este ordenador el caso y sus copias de los documentos</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="104" />
      <source>No cases yet.</source>
      <translation>Todavía no hay casos.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="119" />
      <source>{case}, opened {date}</source>
      <translation>{case}, abierto el {date}</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="122" />
      <source>{case} (received, read-only)</source>
      <translation>{case} (recibido, solo lectura)</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="124" />
      <source>{case} — open now</source>
      <translation>{case}: abrir ahora</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="149" />
      <source>That case is no longer there.</source>
      <translation>Ese caso ya no está ahí.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="157" />
      <location filename="../../ui/views/start.py" line="164" />
      <source>Delete case</source>
      <translation>Eliminar caso</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="158" />
      <source>Delete the case “{case}” from this computer?</source>
      <translation>¿Eliminar el caso «{case}» de este ordenador?</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="160" />
      <source>Its copies of the records, your answers in “About you” and the import log are removed, and this cannot be undone. The discs, files and folders you added records from are not touched, and packages you exported are kept.</source>
      <translation>Se eliminan sus copias de los documentos, sus respuestas en «Sobre usted» y el registro de importación, y no se puede deshacer. Los discos, archivos y carpetas de los que añadió documentos no se tocan, y los paquetes que exportó se conservan.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="176" />
      <source>Please wait until the current task has finished.</source>
      <translation>Espere a que termine la tarea en curso.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="195" />
      <source>The case was deleted from this computer.</source>
      <translation>El caso se eliminó de este ordenador.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="203" />
      <source>Open a package you received</source>
      <translation>Abrir un paquete que usted recibió</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="204" />
      <source>Packages (*.age *.zip);;All files (*)</source>
      <translation>Paquetes (*.age *.zip);;Todos los archivos (*)</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="216" />
      <source>The package was opened and checked: all {n} files arrived exactly as they were sent. These records are read-only.</source>
      <translation>El paquete se abrió y se comprobó: los {n} archivos llegaron exactamente como se enviaron. Estos registros son de solo lectura.</translation>
    </message>
    <message>
      <location filename="../../ui/views/start.py" line="219" />
      <source>The package could not be opened safely, so nothing was kept. {problems}</source>
      <translation>El paquete no se pudo abrir de forma segura, así que no se guardó nada. {problems}</translation>
    </message>
  </context>
  <context>
    <name>Tasks</name>
    <message>
      <location filename="../../ui/tasks.py" line="74" />
      <source>Something went wrong, and the last action did not finish.

The records already in your case are safe. A technical note, without any of your personal details, was written to the log.</source>
      <translation>Algo salió mal y la última acción no terminó.

Los registros que ya están en su caso están a salvo. Se escribió una nota técnica en el registro de la aplicación, sin ninguno de sus datos personales.</translation>
    </message>
  </context>
  <context>
    <name>Text</name>
    <message>
      <location filename="../../ui/text.py" line="39" />
      <source>CT</source>
      <translation>TC</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="40" />
      <source>MRI</source>
      <translation>RM</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="41" />
      <source>Ultrasound</source>
      <translation>Ecografía</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="42" />
      <location filename="../../ui/text.py" line="43" />
      <location filename="../../ui/text.py" line="44" />
      <source>X-ray</source>
      <translation>Radiografía</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="45" />
      <source>Mammogram</source>
      <translation>Mamografía</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="46" />
      <source>PET</source>
      <translation>PET</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="47" />
      <source>Nuclear medicine</source>
      <translation>Medicina nuclear</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="48" />
      <source>Angiography</source>
      <translation>Angiografía</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="49" />
      <source>Fluoroscopy</source>
      <translation>Fluoroscopia</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="50" />
      <source>Other</source>
      <translation>Otro</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="51" />
      <source>Report</source>
      <translation>Informe</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="52" />
      <location filename="../../ui/text.py" line="214" />
      <source>Document</source>
      <translation>Documento</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="53" />
      <source>Key images</source>
      <translation>Imágenes clave</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="54" />
      <source>Display settings</source>
      <translation>Ajustes de visualización</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="55" />
      <source>ECG</source>
      <translation>ECG</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="56" />
      <source>Eye photo</source>
      <translation>Foto del ojo</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="57" />
      <source>Eye scan (OCT)</source>
      <translation>Exploración del ojo (OCT)</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="58" />
      <source>Microscopy slide</source>
      <translation>Preparación de microscopía</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="59" />
      <source>Photo</source>
      <translation>Foto</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="60" />
      <source>Endoscopy</source>
      <translation>Endoscopia</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="61" />
      <source>Segmentation</source>
      <translation>Segmentación</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="62" />
      <location filename="../../ui/text.py" line="63" />
      <source>Radiotherapy plan</source>
      <translation>Plan de radioterapia</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="64" />
      <source>Radiotherapy dose</source>
      <translation>Dosis de radioterapia</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="68" />
      <source>image</source>
      <translation>imagen</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="68" />
      <source>images</source>
      <translation>imágenes</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="69" />
      <source>report</source>
      <translation>informe</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="69" />
      <source>reports</source>
      <translation>informes</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="70" />
      <location filename="../../ui/text.py" line="71" />
      <source>document</source>
      <translation>documento</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="70" />
      <location filename="../../ui/text.py" line="71" />
      <source>documents</source>
      <translation>documentos</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="72" />
      <source>key-image note</source>
      <translation>nota de imágenes clave</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="72" />
      <source>key-image notes</source>
      <translation>notas de imágenes clave</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="73" />
      <source>display setting</source>
      <translation>ajuste de visualización</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="73" />
      <source>display settings</source>
      <translation>ajustes de visualización</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="74" />
      <source>tracing</source>
      <translation>trazado</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="74" />
      <source>tracings</source>
      <translation>trazados</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="75" />
      <source>outline</source>
      <translation>contorno</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="75" />
      <source>outlines</source>
      <translation>contornos</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="177" />
      <source>Radiology report</source>
      <translation>Informe de radiología</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="178" />
      <source>Pathology report</source>
      <translation>Informe de patología</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="179" />
      <source>Operative or procedure report</source>
      <translation>Informe quirúrgico o de procedimiento</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="180" />
      <source>Discharge summary</source>
      <translation>Informe de alta</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="181" />
      <source>Visit note</source>
      <translation>Nota de consulta</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="182" />
      <source>Lab results</source>
      <translation>Resultados de laboratorio</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="183" />
      <source>Medication list</source>
      <translation>Lista de medicamentos</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="184" />
      <source>Referral or insurance</source>
      <translation>Derivación o seguro</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="185" />
      <source>Consent or legal form</source>
      <translation>Consentimiento o documento legal</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="186" />
      <source>Something else</source>
      <translation>Otra cosa</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="205" />
      <source>PDF document</source>
      <translation>Documento PDF</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="207" />
      <source>Picture</source>
      <translation>Imagen</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="209" />
      <source>Health record file</source>
      <translation>Archivo de historia clínica</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="211" />
      <source>Table</source>
      <translation>Tabla</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="213" />
      <source>Text</source>
      <translation>Texto</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="226" />
      <source>{name}, born {date}</source>
      <translation>{name} (nacimiento: {date})</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="230" />
      <source>No name given, born {date}</source>
      <translation>Sin nombre (nacimiento: {date})</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="234" />
      <source>These records are about {person}.</source>
      <translation>Estos registros son de {person}.</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="235" />
      <source>These records give more than one name or birth date: {people}.</source>
      <translation>Estos registros dan más de un nombre o fecha de nacimiento: {people}.</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="245" />
      <source>No files were found there.</source>
      <translation>No se encontraron archivos allí.</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="247" />
      <source>Looked at {files}: {added} added, {skipped} skipped, {failed} could not be read.</source>
      <translation>Se revisaron {files}: {added} añadidos, {skipped} omitidos, {failed} no se pudieron leer.</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="249" />
      <source>Looked at {files}: {added} added, {skipped} skipped.</source>
      <translation>Se revisaron {files}: {added} añadidos, {skipped} omitidos.</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="250" />
      <source>file</source>
      <translation>archivo</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="250" />
      <source>files</source>
      <translation>archivos</translation>
    </message>
    <message>
      <location filename="../../ui/text.py" line="253" />
      <source>Everything there was already in your records, or was not a record.</source>
      <translation>Todo lo que había allí ya estaba en sus registros, o no era un registro.</translation>
    </message>
  </context>
  <context>
    <name>Timeline</name>
    <message>
      <location filename="../../ui/models/timeline.py" line="29" />
      <source>Scans</source>
      <translation>Exploraciones</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="30" />
      <source>Documents</source>
      <translation>Documentos</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="31" />
      <source>Procedures</source>
      <translation>Procedimientos</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="32" />
      <source>Hospital stays</source>
      <translation>Ingresos hospitalarios</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="33" />
      <source>Medicines started</source>
      <translation>Medicamentos iniciados</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="34" />
      <source>Medicines stopped</source>
      <translation>Medicamentos suspendidos</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="35" />
      <source>Lab results</source>
      <translation>Resultados de laboratorio</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="36" />
      <source>Your symptoms</source>
      <translation>Sus síntomas</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="41" />
      <source>Scan</source>
      <translation>Exploración</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="42" />
      <source>Document</source>
      <translation>Documento</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="43" />
      <source>Procedure</source>
      <translation>Procedimiento</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="44" />
      <source>Hospital stay</source>
      <translation>Ingreso hospitalario</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="45" />
      <source>Medicine started</source>
      <translation>Medicamento iniciado</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="46" />
      <source>Medicine stopped</source>
      <translation>Medicamento suspendido</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="47" />
      <source>Lab result</source>
      <translation>Resultado de laboratorio</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="48" />
      <source>Symptom</source>
      <translation>Síntoma</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="63" />
      <source>Date unknown</source>
      <translation>Fecha desconocida</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="66" />
      <source>{start} to {end}</source>
      <translation>{start} a {end}</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="77" />
      <source>Only the month is known.</source>
      <translation>Solo se conoce el mes.</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="79" />
      <source>Only the year is known.</source>
      <translation>Solo se conoce el año.</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="81" />
      <source>Note: {note}.</source>
      <translation>Nota: {note}.</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="86" />
      <source>When</source>
      <translation>Cuándo</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="86" />
      <source>What</source>
      <translation>Qué</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="87" />
      <source>Kind</source>
      <translation>Tipo</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="87" />
      <source>Details</source>
      <translation>Detalles</translation>
    </message>
    <message>
      <location filename="../../ui/models/timeline.py" line="126" />
      <source>Double-click or press Enter to open the record.</source>
      <translation>Haga doble clic o pulse Intro para abrir el registro.</translation>
    </message>
  </context>
  <context>
    <name>TimelineView</name>
    <message>
      <location filename="../../ui/views/timeline.py" line="36" />
      <source>Timeline</source>
      <translation>Cronología</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="39" />
      <source>Your scans, reports, treatments and symptoms in date order. Dates marked ≈ are known only to the month or year; (?) marks a date to check. Double-click an event, or press Enter, to see its record.</source>
      <translation>Sus exploraciones, informes, tratamientos y síntomas por orden de fecha. Las fechas marcadas con ≈ solo se conocen hasta el mes o el año; (?) marca una fecha que conviene comprobar. Haga doble clic en un evento, o pulse Intro, para ver su registro.</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="42" />
      <source>About the timeline</source>
      <translation>Acerca de la cronología</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="45" />
      <source>&amp;Show:</source>
      <translation>&amp;Mostrar:</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="47" />
      <location filename="../../ui/views/timeline.py" line="48" />
      <source>Show events of this kind</source>
      <translation>Mostrar eventos de este tipo</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="51" />
      <source>&amp;Find:</source>
      <translation>&amp;Buscar:</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="53" />
      <source>Find events</source>
      <translation>Buscar eventos</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="54" />
      <source>Words in the title or details</source>
      <translation>Palabras del título o de los detalles</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="57" />
      <source>Clear the search</source>
      <translation>Borrar la búsqueda</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="61" />
      <source>Number of events shown</source>
      <translation>Número de eventos mostrados</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="75" />
      <source>Timeline events</source>
      <translation>Eventos de la cronología</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="83" />
      <source>Rows</source>
      <translation>Filas</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="86" />
      <source>Columns</source>
      <translation>Columnas</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="95" />
      <source>No events</source>
      <translation>No hay eventos</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="115" />
      <source>Nothing to show yet. Add records, or describe your symptoms on “About you”.</source>
      <translation>Todavía no hay nada que mostrar. Añada registros o describa sus síntomas en «Sobre usted».</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="122" />
      <source>Putting your records in order…</source>
      <translation>Ordenando sus registros…</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="141" />
      <source>Everything</source>
      <translation>Todo</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="164" />
      <source>{n} events</source>
      <translation>{n} eventos</translation>
    </message>
    <message>
      <location filename="../../ui/views/timeline.py" line="166" />
      <source>{shown} of {total} events</source>
      <translation>{shown} de {total} eventos</translation>
    </message>
  </context>
</TS>
