"""The tree plumbing the item models share: nodes that know their parent, and the
QAbstractItemModel methods that walk them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex


@dataclass(eq=False)
class TreeNode:
    parent: TreeNode | None = field(default=None, kw_only=True)
    children: list[Any] = field(default_factory=list, kw_only=True)

    def add(self, child: Any) -> Any:
        child.parent = self
        self.children.append(child)
        return child

    @property
    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0


class TreeModel(QAbstractItemModel):
    """A read-only tree of :class:`TreeNode` under ``self._root``, with ``HEADERS`` columns."""

    HEADERS: ClassVar[tuple[str, ...]] = ()
    _root: TreeNode

    def _node(self, index: QModelIndex | QPersistentModelIndex) -> Any:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, TreeNode)
            return node
        return self._root

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(self.HEADERS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
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
