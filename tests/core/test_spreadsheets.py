"""XLSX through django-import-export and tablib with the lazy stand-in of tablib's XLSX format (core.spreadsheets)."""

from __future__ import annotations

import tablib
from import_export.formats.base_formats import BINARY_FORMATS, DEFAULT_FORMATS, XLSX
from tablib.formats import registry
from tablib.formats._xlsx import XLSXFormat

from core.spreadsheets import LazyXLSXFormat


def _dataset() -> tablib.Dataset:
    dataset = tablib.Dataset(headers=["name", "purpose", "count"], title="Inventory")
    dataset.append(["Ticket sorter", "Sorts tickets", 3])
    dataset.append(["CV screener", "Ranks applicants", 1])
    return dataset


def test_xlsx_is_offered_for_import_and_export_as_before() -> None:
    # given
    fmt = XLSX()
    # then
    assert isinstance(registry.get_format("xlsx"), LazyXLSXFormat)
    assert XLSX in DEFAULT_FORMATS and XLSX in BINARY_FORMATS
    assert (fmt.get_title(), fmt.get_extension()) == ("xlsx", "xlsx")
    assert fmt.can_import() and fmt.can_export()


def test_a_dataset_round_trips_through_xlsx() -> None:
    # given
    data = XLSX().export_data(_dataset())
    # when
    read = XLSX().create_dataset(data)
    detected = tablib.Dataset().load(data)  # format detection tries the stand-in
    # then
    assert read.dict == detected.dict == _dataset().dict


def test_a_databook_round_trips_through_xlsx() -> None:
    # given
    book = tablib.Databook([_dataset()])
    # when
    data = book.export("xlsx")
    read = tablib.Databook().load(data, "xlsx")
    # then
    assert [sheet.dict for sheet in read.sheets()] == [_dataset().dict]


def test_the_rest_of_tablibs_format_is_handed_through() -> None:
    # then
    assert LazyXLSXFormat().dset_sheet == XLSXFormat.dset_sheet
