"""tablib's XLSX format registered so that openpyxl is imported when a workbook is used, not when the app starts.

django-import-export (4.x) builds its format lists (``DEFAULT_FORMATS``, ``BINARY_FORMATS``) when
``import_export.formats.base_formats`` is imported, and the admin autodiscovery of ``django.setup()`` imports it
(through ``import_export.admin``): each format's ``is_available()`` loads tablib's class for it, and tablib's XLSX
module (``tablib.formats._xlsx``) imports openpyxl, and numpy with it, at module level: about a fifth of a second of
every process start (issue 15). The ``IMPORT_EXPORT_FORMATS`` setting cannot avoid that: it is read per request,
long after the module-level lists are built. :func:`register_lazy_xlsx` registers with tablib's format registry
(``tablib.formats.registry.register``, how tablib adds formats) a stand-in for tablib's XLSX format that imports the
real one on first use; ``core.apps.ImportExportConfig`` calls it while the app registry is populated, before the
admin autodiscovery. XLSX import and export behave exactly as before (the stand-in hands every call to tablib's
class); only the import of openpyxl moves. Pure: tablib only, no Django.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from tablib.formats import registry


class LazyXLSXFormat:
    """tablib's XLSX format (``tablib.formats._xlsx.XLSXFormat``), imported when a workbook is detected, read or
    written. Its title and extensions are constants, so listing and naming the formats does not import it."""

    title = "xlsx"
    extensions = ("xlsx",)

    @staticmethod
    def _format() -> Any:
        from tablib.formats._xlsx import XLSXFormat  # openpyxl

        return XLSXFormat

    def detect(self, stream: Any) -> Any:
        return self._format().detect(stream)

    def import_set(self, dset: Any, in_stream: Any, **kwargs: Any) -> Any:
        return self._format().import_set(dset, in_stream, **kwargs)

    def import_book(self, dbook: Any, in_stream: Any, **kwargs: Any) -> Any:
        return self._format().import_book(dbook, in_stream, **kwargs)

    def export_set(self, dataset: Any, **kwargs: Any) -> Any:
        return self._format().export_set(dataset, **kwargs)

    def export_book(self, databook: Any, **kwargs: Any) -> Any:
        return self._format().export_book(databook, **kwargs)

    def __getattr__(self, name: str) -> Any:  # the rest of XLSXFormat (import_sheet, dset_sheet, ...)
        return getattr(self._format(), name)


def register_lazy_xlsx() -> None:
    """Put :class:`LazyXLSXFormat` in tablib's registry in place of its XLSX format. As tablib does, only when
    openpyxl is installed; under the same key, so format detection still tries XLSX where tablib put it."""
    if find_spec("openpyxl") is not None:
        registry.register("xlsx", LazyXLSXFormat())
