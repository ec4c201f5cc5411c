"""The main window: a navigation list on the left, one screen at a time on the right.

Built so far: Start, Add records and Records (a tree of studies → series, and documents).
The other screens are honest placeholders until their stage of the core exists.

The window title is always "Records Bundler": titles end up in task switchers, screen
sharing and window-manager logs, so patient data never goes there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

import bundler
from bundler.errors import BundlerError
from bundler.model import DicomObjectKind, Document, Instance, Patient, Series, Study
from bundler.progress import CancelToken, Progress
from ui import tasks

if TYPE_CHECKING:
    from bundler.store import CaseStore

__all__ = [
    "APP_TITLE",
    "DEFAULT_SIZE",
    "SCREENS",
    "CaseListing",
    "ImportOutcome",
    "MainWindow",
    "ObjectRole",
    "RecordsModel",
    "SortRole",
    "display_name",
    "format_date",
    "import_into_case",
    "import_summary",
    "patient_summary",
    "read_listing",
    "screen_key",
]

log = logging.getLogger(__name__)

APP_TITLE: Final = "Records Bundler"
DEFAULT_SIZE: Final = (1100, 720)

SCREENS: Final[tuple[tuple[str, str], ...]] = (
    ("start", "Start"),
    ("add", "Add records"),
    ("records", "Records"),
    ("about-you", "About you"),
    ("timeline", "Timeline"),
    ("checklist", "Checklist"),
    ("export", "Export"),
)
"""(key, title) of each screen, in navigation order. ``--screen`` accepts either."""

_COMING_SOON: Final = {
    "about-you": (
        "This screen will show the name, date of birth and sex that your records give, "
        "and point out where different records disagree."
    ),
    "timeline": "This screen will put your scans, reports and letters in date order.",
    "checklist": (
        "This screen will check your records against what a second reviewer usually needs, "
        "and list anything that seems to be missing."
    ),
    "export": (
        "This screen will pack your records into one encrypted file to send, or a disc "
        "for your doctor."
    ),
}

# Plain words for the DICOM Modality codes a patient is most likely to meet (PS3.3 C.7.3.1.1.1).
_MODALITY_WORDS: Final = {
    "CT": "CT",
    "MR": "MRI",
    "US": "Ultrasound",
    "CR": "X-ray",
    "DX": "X-ray",
    "RG": "X-ray",
    "MG": "Mammogram",
    "PT": "PET",
    "NM": "Nuclear medicine",
    "XA": "Angiography",
    "RF": "Fluoroscopy",
    "OT": "Other",
    "SR": "Report",
    "DOC": "Document",
    "KO": "Key images",
    "PR": "Display settings",
    "ECG": "ECG",
    "OP": "Eye photo",
    "OPT": "Eye scan (OCT)",
    "SM": "Microscopy slide",
    "XC": "Photo",
    "ES": "Endoscopy",
    "SEG": "Segmentation",
    "RTSTRUCT": "Radiotherapy plan",
    "RTPLAN": "Radiotherapy plan",
    "RTDOSE": "Radiotherapy dose",
}

_KIND_NOUNS: Final = {  # in the order a series' contents are listed
    DicomObjectKind.IMAGE: ("image", "images"),
    DicomObjectKind.STRUCTURED_REPORT: ("report", "reports"),
    DicomObjectKind.ENCAPSULATED_PDF: ("document", "documents"),
    DicomObjectKind.ENCAPSULATED_DOCUMENT: ("document", "documents"),
    DicomObjectKind.KEY_OBJECT_SELECTION: ("key-image note", "key-image notes"),
    DicomObjectKind.PRESENTATION_STATE: ("display setting", "display settings"),
    DicomObjectKind.WAVEFORM: ("tracing", "tracings"),
    DicomObjectKind.SEGMENTATION: ("outline", "outlines"),
}

SortRole: Final = Qt.ItemDataRole.UserRole + 1
"""A value that sorts the way people expect (dates as YYYYMMDD, counts as numbers)."""
ObjectRole: Final = Qt.ItemDataRole.UserRole + 2
"""The core object behind a row (Study, Series or Document); None for group rows."""


# -- formatting for people ----------------------------------------------------------------------


def display_name(pn: str) -> str:
    """A DICOM Person Name (PS3.5 §6.2.1) as people write it: ``DOE^JANE`` → ``Jane Doe``.

    The alphabetic group is used when present, else the ideographic, else the phonetic one;
    ideographic and phonetic names keep family-name-first order. All-capital names (usual in
    headers) are put in title case; mixed-case names are left as written.
    """
    groups = pn.strip().split("=")
    for index, group in enumerate(groups[:3]):
        parts = [p.strip() for p in group.split("^")]
        parts += [""] * (5 - len(parts))
        family, given, middle, prefix, suffix = parts[:5]
        if not any((family, given, middle, prefix, suffix)):
            continue
        if index == 0:
            words = [prefix, given, middle, family, suffix]
        else:
            words = [prefix, family, given, middle, suffix]
        text = " ".join(w for w in words if w)
        if index == 0 and text.isupper():
            text = _title_case(text)
        return text
    return ""


def _title_case(text: str) -> str:
    """``O'BRIEN-SMITH`` → ``O'Brien-Smith``; roman numerals (``III``) stay as they are."""
    words = []
    for word in text.split(" "):
        if set(word.rstrip(".")) <= set("IVX"):
            words.append(word)
            continue
        parts = ("'".join(p[:1] + p[1:].lower() for p in part.split("'")) for part in word.split("-"))
        words.append("-".join(parts))
    return " ".join(words)


def _to_qdate(da: str) -> QDate | None:
    # DICOM DA is YYYYMMDD (PS3.5 §6.2); old ACR-NEMA headers use YYYY.MM.DD; documents carry
    # ISO dates, possibly with a time (YYYY-MM-DDThh:mm...).
    digits = da.strip()[:10].replace(".", "").replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    date = QDate(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return date if date.isValid() else None


def format_date(da: str, *, long: bool = False) -> str:
    """A DICOM date for people, in the user's language: ``20240312`` → ``12 Mar 2024``.

    Returns the text as written when it is not a valid date, and "" when it is empty.
    """
    date = _to_qdate(da)
    if date is None:
        return da.strip()
    return QLocale().toString(date, "d MMMM yyyy" if long else "d MMM yyyy")


def _sort_date(da: str) -> str:
    date = _to_qdate(da)
    return date.toString("yyyyMMdd") if date is not None else ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _contents(instances: Iterable[Instance]) -> str:
    """"12 images", "1 report", "48 images, 1 document": what a reviewer will find."""
    counts: dict[tuple[str, str], int] = {}
    for instance in instances:
        noun = _KIND_NOUNS.get(instance.kind, ("item", "items"))
        counts[noun] = counts.get(noun, 0) + 1
    order = list(dict.fromkeys(_KIND_NOUNS.values()))
    ranked = sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return ", ".join(_plural(n, one, many) for (one, many), n in ranked)


def _modality_text(codes: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(_MODALITY_WORDS.get(c, c) for c in codes if c))


def _document_kind_text(document: Document) -> str:
    kind = document.kind.replace("_", " ").strip()
    if kind and kind != "other":
        return kind[:1].upper() + kind[1:]
    media = document.media_type.lower()
    if media == "application/pdf":
        return "PDF document"
    if media.startswith("image/"):
        return "Picture"
    if "xml" in media or "json" in media:
        return "Health record file"
    if media in ("text/csv", "application/vnd.ms-excel") or "spreadsheet" in media:
        return "Table"
    if media.startswith("text/"):
        return "Text"
    return "Document"


def patient_summary(patients: Sequence[Patient]) -> str:
    """One line naming the people these records are about, with birth dates."""
    seen: dict[tuple[str, str], None] = {}
    for patient in patients:
        seen.setdefault((display_name(patient.name), patient.birth_date.strip()), None)
    people = []
    for name, birth in seen:
        born = format_date(birth, long=True)
        if name and born:
            people.append(f"{name}, born {born}")
        elif name:
            people.append(name)
        elif born:
            people.append(f"No name given, born {born}")
    if not people:
        return ""
    if len(people) == 1:
        return f"These records are about {people[0]}."
    return "These records give more than one name or birth date: " + "; ".join(people) + "."


# -- the records model --------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    cells: tuple[str, ...]
    sort: tuple[Any, ...] = ()
    obj: Study | Series | Document | None = None
    tooltip: str = ""
    bold: bool = False
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    def add(self, child: _Node) -> _Node:
        child.parent = self
        self.children.append(child)
        return child

    @property
    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0


class RecordsModel(QAbstractItemModel):
    """Studies → series, then documents, as two groups. Read-only; rebuilt by :meth:`set_records`."""

    HEADERS: Final = ("Record", "Date", "Type", "Contents")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(cells=())
        self.studies_group: _Node | None = None
        self.documents_group: _Node | None = None

    def set_records(self, studies: Sequence[Study], documents: Sequence[Document]) -> None:
        self.beginResetModel()
        self._root = _Node(cells=())
        self.studies_group = self.documents_group = None
        if studies:
            group = self._root.add(_Node(cells=(f"Scans and images ({len(studies)})", "", "", ""), bold=True))
            for study in sorted(studies, key=lambda s: (_sort_date(s.date), s.time), reverse=True):
                group.add(self._study_node(study))
            self.studies_group = group
        if documents:
            group = self._root.add(_Node(cells=(f"Documents ({len(documents)})", "", "", ""), bold=True))
            for document in sorted(documents, key=lambda d: _sort_date(d.date), reverse=True):
                group.add(self._document_node(document))
            self.documents_group = group
        self.endResetModel()

    @staticmethod
    def _study_node(study: Study) -> _Node:
        tip = [
            f"Where: {study.institution}" if study.institution else "",
            f"Referred by: {display_name(study.referring_physician)}" if study.referring_physician else "",
            f"Accession number: {study.accession}" if study.accession else "",
        ]
        node = _Node(
            cells=(
                study.description.strip() or "Imaging study",
                format_date(study.date),
                _modality_text(study.modalities),
                _contents(i for s in study.series for i in s.instances),
            ),
            sort=(study.description, _sort_date(study.date), ",".join(study.modalities),
                  study.instance_count),
            obj=study,
            tooltip="\n".join(t for t in tip if t),
        )
        for series in sorted(study.series, key=lambda s: (s.number is None, s.number or 0, s.description)):
            name = series.description.strip()
            if series.number is not None:
                name = f"Series {series.number}" + (f": {name}" if name else "")
            node.add(
                _Node(
                    cells=(
                        name or "Series",
                        "",  # the study's date, already on the row above
                        _modality_text((series.modality,)),
                        _contents(series.instances),
                    ),
                    sort=(series.number or 0, _sort_date(study.date), series.modality, len(series.instances)),
                    obj=series,
                    tooltip=f"Body part: {series.body_part.title()}" if series.body_part else "",
                )
            )
        return node

    @staticmethod
    def _document_node(document: Document) -> _Node:
        contents = _plural(document.pages, "page", "pages") if document.pages else ""
        return _Node(
            cells=(
                document.title.strip() or "Untitled document",
                format_date(document.date),
                _document_kind_text(document),
                contents,
            ),
            sort=(document.title, _sort_date(document.date), document.kind, document.pages or 0),
            obj=document,
        )

    # -- QAbstractItemModel ---------------------------------------------------------------------

    def _node(self, index: QModelIndex | QPersistentModelIndex) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _Node)
            return node
        return self._root

    def index(
        self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()
    ) -> QModelIndex:
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(self.HEADERS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(  # type: ignore[override]
        self, index: QModelIndex | QPersistentModelIndex = QModelIndex()
    ) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return len(self.HEADERS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return node.cells[column] if column < len(node.cells) else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return node.tooltip or None
        if role == Qt.ItemDataRole.FontRole and node.bold:
            font = QFont()
            font.setBold(True)
            return font
        if role == SortRole:
            return node.sort[column] if column < len(node.sort) else node.cells[column]
        if role == ObjectRole:
            return node.obj
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


# -- work done off the UI thread ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseListing:
    studies: tuple[Study, ...] = ()
    documents: tuple[Document, ...] = ()
    patients: tuple[Patient, ...] = ()


def read_listing(store: CaseStore) -> CaseListing:
    """The small listing the Records screen shows (cheap enough for the UI thread)."""
    return CaseListing(store.studies(), store.documents(), store.patients())


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    store: CaseStore
    report: Any  # bundler.ingest.report.ImportReport


def import_into_case(
    store: CaseStore | None,
    case_dir: Path,
    sources: Sequence[Path],
    progress: Progress,
    cancel: CancelToken,
) -> ImportOutcome:
    """Import ``sources`` into ``store``, or into a new case at ``case_dir``. Runs in a task.

    CaseStore is thread-safe (one connection behind a lock), so the window's store is used
    from the worker; a case that does not exist yet is created here, off the UI thread, and
    handed back in the outcome.
    """
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    created = store is None
    if store is None:
        store = CaseStore.open(case_dir, create=True)
    try:
        report = import_sources(list(sources), store, progress=progress, cancel=cancel)
    except BaseException:
        if created:
            store.close()
        raise
    return ImportOutcome(store, report)


def import_summary(report: Any) -> str:
    """One calm line from an ImportReport's counts."""
    seen, imported = report.files_seen, report.imported
    skipped, failed = report.skipped, report.failed
    if seen == 0:
        return "No files were found there."
    text = f"Looked at {_plural(seen, 'file', 'files')}: {imported} added, {skipped} skipped"
    text += f", {failed} could not be read." if failed else "."
    if imported == 0 and skipped and not failed:
        text += " Everything there was already in your records, or was not a record."
    return text


# -- the window -----------------------------------------------------------------------------------


def screen_key(name: str) -> str | None:
    """The key of the screen called ``name`` ("records", "Add records", "about_you"...)."""
    wanted = "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    for key, title in SCREENS:
        if wanted in (key, "-".join(title.lower().split())):
            return key
    return None


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setAccessibleName(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


def _paragraph(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMaximumWidth(720)
    return label


def _button(text: str, name: str, slot: Callable[[], None], description: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    if description:
        button.setAccessibleDescription(description)
        button.setToolTip(description)
    button.clicked.connect(slot)
    button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    return button


class MainWindow(QMainWindow):
    """The app's one window, over the case in ``case_dir``.

    ``case_dir`` need not exist yet: the Records screen is then empty and the first import
    creates the case.
    """

    records_changed = Signal()
    """Emitted after the Records screen re-read the case."""

    def __init__(self, case_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case_dir = Path(case_dir)
        self.store: CaseStore | None = None
        self.listing = CaseListing()
        self._busy = False
        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName(APP_TITLE)
        self.setMinimumSize(800, 520)
        self.resize(*DEFAULT_SIZE)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Screens")
        self.nav.setAccessibleDescription("Choose a screen. Control and a number key also go there.")
        self.nav.setFixedWidth(190)
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.nav.setStyleSheet(
            "QListWidget#nav { background: palette(alternate-base); padding-top: 12px; }"
            "QListWidget#nav::item { padding: 8px 18px; }"
        )
        self.stack = QStackedWidget()
        self.stack.setAccessibleName("Screen")
        self._pages: dict[str, QWidget] = {}

        self.add_buttons: list[QPushButton] = []
        self.result_labels: list[QLabel] = []
        self._build_start()
        self._build_add()
        self._build_records()
        for key, title in SCREENS:
            if key in _COMING_SOON:
                self._build_placeholder(key, title, _COMING_SOON[key])
        for key, title in SCREENS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
            self.nav.addItem(item)
            self.stack.addWidget(self._pages[key])
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self.statusBar().setAccessibleName("Status")
        self.statusBar().setSizeGripEnabled(False)

        self.refresh()
        self.show_screen("records" if self.listing.studies or self.listing.documents else "start")

    # -- screens ----------------------------------------------------------------------------

    def _page(self, key: str, title: str) -> QVBoxLayout:
        page = QWidget()
        page.setAccessibleName(title)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(_heading(title))
        self._pages[key] = page
        return layout

    def _build_start(self) -> None:
        layout = self._page("start", "Welcome")
        layout.addWidget(
            _paragraph(
                "Records Bundler gathers your medical records – scans on a hospital disc, reports "
                "and letters – so that a second doctor can review them. It will check what a "
                "reviewer usually needs and pack everything into one encrypted file.",
                "About this app",
            )
        )
        layout.addWidget(
            _paragraph(
                "Start by adding records: a CD or DVD from a hospital, a folder, or single files. "
                "Your originals are never changed.",
                "How to start",
            )
        )
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(_button("Add records…", "Add records", lambda: self.show_screen("add")))
        row.addWidget(_button("See your records", "See your records", lambda: self.show_screen("records")))
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def _build_add(self) -> None:
        layout = self._page("add", "Add records")
        layout.addWidget(
            _paragraph(
                "Choose a hospital CD or DVD, a folder, or files: scans (DICOM), reports and "
                "letters as PDF, lab or medication lists (CSV), or a ZIP or disc image (ISO) of "
                "any of these. The app keeps its own copy; nothing on the original is changed.",
                "What you can add",
            )
        )
        row = QHBoxLayout()
        row.setSpacing(8)
        folder = _button("Add a folder or disc…", "Add a folder or disc", self.choose_folder,
                         "Add everything in a folder, or on a CD, DVD or USB stick")
        files = _button("Add files…", "Add files", self.choose_files, "Add one or more files")
        self.add_buttons += [folder, files]
        row.addWidget(folder)
        row.addWidget(files)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self._result_label())
        layout.addStretch(1)

    def _build_records(self) -> None:
        layout = self._page("records", "Records")
        self.patient_label = _paragraph("", "Patient")
        layout.addWidget(self.patient_label)

        row = QHBoxLayout()
        add = QPushButton("Add records…")
        add.setAccessibleName("Add records")
        add.setAccessibleDescription("Add a folder, a disc or files to these records")
        menu = QMenu(add)
        menu.setAccessibleName("Add records")
        menu.addAction("A folder or disc…", self.choose_folder)
        menu.addAction("Files…", self.choose_files)
        add.setMenu(menu)
        add.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.add_buttons.append(add)
        row.addWidget(add)
        row.addStretch(1)
        layout.addLayout(row)

        self.model = RecordsModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAccessibleName("Your records")
        self.tree.setAccessibleDescription("Scans and images by study and series, then documents")
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 8px 3px 2px; }")
        header = self.tree.header()
        header.setAccessibleName("Columns")
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(RecordsModel.HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName("No records")
        self.records_stack = QStackedWidget()
        self.records_stack.setAccessibleName("Records list")
        self.records_stack.addWidget(self.empty_label)
        self.records_stack.addWidget(self.tree)
        layout.addWidget(self.records_stack, 1)
        layout.addWidget(self._result_label())

    def _build_placeholder(self, key: str, title: str, text: str) -> None:
        layout = self._page(key, title)
        layout.addWidget(_paragraph(f"Coming soon. {text}", f"{title}: coming soon"))
        layout.addStretch(1)

    def _result_label(self) -> QLabel:
        label = _paragraph("", "Last import")
        label.setVisible(False)
        self.result_labels.append(label)
        return label

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        add_folder = file_menu.addAction("Add a &folder or disc…", self.choose_folder)
        add_folder.setShortcut(QKeySequence.StandardKey.Open)
        add_files = file_menu.addAction("Add &files…", self.choose_files)
        add_files.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self._add_actions = [add_folder, add_files]
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        go_menu = self.menuBar().addMenu("&Go")
        for number, (key, title) in enumerate(SCREENS, start=1):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_screen(k))
            go_menu.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Records Bundler", self._about)

    def show_screen(self, key: str) -> None:
        """Show the screen ``key`` (one of :data:`SCREENS`)."""
        keys = [k for k, _ in SCREENS]
        row = keys.index(key)
        self.nav.setCurrentRow(row)
        self.stack.setCurrentIndex(row)

    def current_screen(self) -> str:
        return SCREENS[self.stack.currentIndex()][0]

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"{APP_TITLE} {bundler.__version__}\n\n"
            "Gathers medical records for a second opinion, checks what is missing, and "
            "exports an encrypted package.",
        )

    # -- the case ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the case and rebuild the Records screen."""
        error = ""
        self.listing = CaseListing()
        self.load_error: BaseException | None = None
        try:
            if self.store is None and self.case_dir.is_dir():
                from bundler.store import CaseStore

                self.store = CaseStore.open(self.case_dir)
            if self.store is not None:
                self.listing = read_listing(self.store)
        except BundlerError as exc:
            log.warning("could not read the case: %s", exc.code)
            error, self.load_error = exc.user_message, exc
        except Exception as exc:  # a bug: say so calmly and keep the window usable
            tasks.log_unexpected(exc, what="reading the case")
            error, self.load_error = "Your records could not be shown. Something went wrong.", exc
        self.model.set_records(self.listing.studies, self.listing.documents)
        summary = patient_summary(self.listing.patients)
        self.patient_label.setText(summary)
        self.patient_label.setVisible(bool(summary))
        if self.model.rowCount() == 0:
            self.empty_label.setText(
                error
                or "No records yet.\n\nChoose “Add records…” to bring in a disc, a folder or files."
            )
            self.records_stack.setCurrentWidget(self.empty_label)
        else:
            self.tree.expandToDepth(0)
            if self.model.studies_group is not None and len(self.model.studies_group.children) <= 8:
                self.tree.expandToDepth(1)
            self.records_stack.setCurrentWidget(self.tree)
            if not self.tree.currentIndex().isValid():
                # Keyboard focus starts on the first row, without a selection bar across it.
                self.tree.selectionModel().setCurrentIndex(
                    self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )
        self.records_changed.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The case has one writer: let a running import stop (and undo itself) first.
        if tasks.active_count():
            tasks.cancel_all()
            tasks.wait_all(60_000)
        if self.store is not None:
            self.store.close()
            self.store = None
        super().closeEvent(event)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder or disc to add")
        if folder:
            self.add_records([Path(folder)])

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Choose files to add",
            "",
            # DICOM files often have no extension at all, so "All files" comes first.
            "All files (*);;PDF documents (*.pdf);;Lists (*.csv *.tsv);;ZIP archives (*.zip);;"
            "Disc images (*.iso)",
        )
        if files:
            self.add_records([Path(f) for f in files])

    def add_records(self, sources: Sequence[Path]) -> tasks.TaskHandle | None:
        """Import ``sources`` into this case in the background, with a progress dialog."""
        store, case_dir = self.store, self.case_dir
        return self.run_case_operation(
            lambda progress, cancel: import_into_case(store, case_dir, sources, progress, cancel),
            title="Adding records…",
            label="Adding records",
        )

    def run_case_operation(
        self,
        fn: Callable[[Progress, CancelToken], ImportOutcome],
        *,
        title: str,
        label: str,
        show_records: bool = True,
    ) -> tasks.TaskHandle | None:
        """Run an operation that changes the case and returns an :class:`ImportOutcome`.

        Shows a progress dialog with Cancel; a cancel is reported as a plain status line, never
        as an error. On success the Records screen is re-read and, if ``show_records``, shown.
        Returns None (and does nothing) while another one runs: the case has one writer.
        """
        if self._busy:
            self.statusBar().showMessage("Please wait: records are still being added.", 5000)
            return None
        dialog = QProgressDialog(title, "Cancel", 0, 0, self)
        dialog.setWindowTitle(APP_TITLE)
        dialog.setAccessibleName(title.rstrip("…"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        # QProgressDialog hides itself on Cancel; keep it up, saying "Stopping…", until the
        # operation has actually stopped and undone its work.
        dialog.canceled.disconnect(dialog.cancel)

        def on_progress(done: int, total: int | None, message: str) -> None:
            if handle.cancelled:
                return
            if total is None:
                dialog.setRange(0, 0)
            else:
                dialog.setRange(0, max(total, 1))
                dialog.setValue(min(done, max(total, 1)))
            dialog.setLabelText(message or title)

        def on_cancel_clicked() -> None:
            handle.cancel()
            dialog.setLabelText("Stopping… Nothing from this import will be kept.")
            for button in dialog.findChildren(QPushButton):
                button.setEnabled(False)

        def on_success(outcome: ImportOutcome) -> None:
            if self.store is None:
                self.store = outcome.store
            self.refresh()
            self._show_result(import_summary(outcome.report))
            if show_records and (self.listing.studies or self.listing.documents):
                self.show_screen("records")

        def on_cancelled() -> None:
            self._show_result("Stopped. Nothing from that import was added.")

        def on_finished() -> None:
            dialog.close()
            dialog.deleteLater()
            self._set_busy(False)

        self._set_busy(True)
        handle = tasks.run_task(
            self,
            fn,
            on_success=on_success,
            on_progress=on_progress,
            on_cancelled=on_cancelled,
            label=label,
        )
        handle.finished.connect(on_finished)
        dialog.canceled.connect(on_cancel_clicked)
        self.statusBar().showMessage(title)
        return handle

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in self.add_buttons:
            widget.setEnabled(not busy)
        for action in self._add_actions:
            action.setEnabled(not busy)
        if not busy:
            self.statusBar().clearMessage()

    def _show_result(self, text: str) -> None:
        for label in self.result_labels:
            label.setText(text)
            label.setVisible(True)
        self.statusBar().showMessage(text, 10_000)
