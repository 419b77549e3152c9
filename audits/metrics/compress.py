"""Compression of model outputs to unique (y_true, y_pred, [weight], sensitive features, [control]) cells with counts.

Every metric in this package is a weighted mean over rows. Rows that agree on every input to the metric are
interchangeable, so a cell with ``count`` identical rows and sample weight ``w`` contributes exactly like the rows
themselves when fairlearn is given ``sample_weight = count * w``. That keeps fairlearn's definitions (the point of
using it for EU AI Act Art. 10(2)(f) evidence and NYC LL144 impact ratios) while the work fairlearn does shrinks from
millions of rows to a few dozen cells.

Readers stream CSV, CSV.gz and Parquet in chunks and compress each chunk before reading the next, so a large file
never has to fit in memory as a raw frame (let alone twice).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd

from audits.metrics.schema import UNKNOWN_LEVEL, ColumnMapping, Task

Y_TRUE = "_y_true"
Y_PRED = "_y_pred"
WEIGHT = "_weight"
COUNT = "_count"

#: Rows per chunk when streaming files. 250k rows of five columns is a few tens of MB in pandas, small next to a
#: worker's memory, and large enough that per-chunk overhead (parsing setup, one groupby) stays below ~5 %.
DEFAULT_CHUNKSIZE = 250_000

#: Re-aggregate the buffered compressed chunks once they hold this many cells, so memory stays bounded by the number
#: of distinct cells rather than by the number of chunks.
_COMPACT_AT_CELLS = 1_000_000

#: Combined cell codes must stay below this to fit in int64 with room to spare.
_MAX_CELL_CODE = 2**62

#: fairlearn's separator for merged intersectional feature values (``fairlearn.utils._input_validation``).
_KEY_SEPARATOR = ","

Source = str | os.PathLike[str] | IO[bytes] | IO[str]


def group_key(values: Sequence[str]) -> str:
    """Join an intersectional group's feature values the way fairlearn merges columns.

    One feature gives the value itself. Several give ``"F,Black"``, with backslashes and commas escaped exactly as in
    ``fairlearn.utils._input_validation._merge_columns``, so keys are unambiguous and match fairlearn's.
    """
    if len(values) == 1:
        return str(values[0])
    escaped = (str(v).replace("\\", "\\\\").replace(_KEY_SEPARATOR, "\\" + _KEY_SEPARATOR) for v in values)
    return _KEY_SEPARATOR.join(escaped)


@dataclass(frozen=True)
class CompressedOutputs:
    """Model outputs reduced to unique cells.

    ``frame`` has one row per unique combination of ``_y_true``, ``_y_pred``, ``_weight`` (only with sample weights)
    and the grouping columns (named as in the input), plus ``_count``, the number of input rows in the cell. For binary
    tasks ``_y_true``/``_y_pred`` are 0/1 (1 = ``pos_label``; for scores, ``score >= threshold``).
    """

    frame: pd.DataFrame
    task: Task
    mapping: ColumnMapping
    n_rows: int
    n_rows_excluded: int = 0

    @property
    def counts(self) -> np.ndarray:
        """Rows per cell, as float64 (fairlearn's sample weights are floats)."""
        return self.frame[COUNT].to_numpy(dtype=np.float64)

    @property
    def sample_weight(self) -> np.ndarray:
        """``count`` times the input sample weight: the weight fairlearn needs to reproduce the row-level result."""
        if WEIGHT in self.frame:
            return self.counts * self.frame[WEIGHT].to_numpy(dtype=np.float64)
        return self.counts


@dataclass
class _Compressor:
    """Accumulates compressed chunks; see :func:`compress_frame` and :func:`load_outputs`."""

    mapping: ColumnMapping
    task: Task
    n_rows: int = 0
    n_excluded: int = 0
    labels: set[Any] = field(default_factory=set)
    pred_labels: set[Any] = field(default_factory=set)
    parts: list[pd.DataFrame] = field(default_factory=list)
    buffered: int = 0

    @property
    def keys(self) -> list[str]:
        weight = [WEIGHT] if self.mapping.sample_weight else []
        return [Y_TRUE, Y_PRED, *weight, *self.mapping.group_columns]

    def add(self, chunk: pd.DataFrame) -> None:
        m = self.mapping
        missing = [c for c in m.input_columns if c not in chunk.columns]
        if missing:
            raise ValueError(f"Missing columns: {missing}")
        y_true = chunk[m.y_true]
        raw_pred = chunk[m.y_pred or m.y_score]
        valid = y_true.notna() & raw_pred.notna()
        if m.sample_weight:
            valid &= chunk[m.sample_weight].notna()
        n_valid = int(valid.sum())
        self.n_excluded += len(chunk) - n_valid
        self.n_rows += n_valid
        if n_valid < len(chunk):
            chunk, y_true, raw_pred = chunk[valid], y_true[valid], raw_pred[valid]
        numeric: dict[str, np.ndarray] = {}
        if self.task is Task.BINARY:
            self.labels.update(_distinct(y_true))
            numeric[Y_TRUE] = (y_true == m.pos_label).to_numpy(dtype=np.int8)
            if m.y_score is not None:
                numeric[Y_PRED] = (raw_pred.to_numpy(dtype=np.float64) >= m.threshold).astype(np.int8)
            else:
                self.pred_labels.update(_distinct(raw_pred))
                numeric[Y_PRED] = (raw_pred == m.pos_label).to_numpy(dtype=np.int8)
        else:
            if m.y_score is not None:
                raise ValueError("Regression audits take the score as y_pred; y_score/threshold are for binary tasks.")
            numeric[Y_TRUE] = y_true.to_numpy(dtype=np.float64)
            numeric[Y_PRED] = raw_pred.to_numpy(dtype=np.float64)
        if m.sample_weight:
            numeric[WEIGHT] = chunk[m.sample_weight].to_numpy(dtype=np.float64)
        if len(chunk):
            levels = {col: level_codes(chunk[col]) for col in m.group_columns}
            part = _count_cells(numeric, levels)
            self.parts.append(part)
            self.buffered += len(part)
        if self.buffered >= _COMPACT_AT_CELLS and len(self.parts) > 1:
            self.parts = [self._merged()]
            self.buffered = len(self.parts[0])

    def _merged(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({k: [] for k in [*self.keys, COUNT]})
        if len(self.parts) == 1:
            return self.parts[0]
        merged = pd.concat(self.parts, ignore_index=True)
        return merged.groupby(self.keys, sort=False, observed=True)[COUNT].sum().reset_index()

    def finish(self) -> CompressedOutputs:
        for name, seen in (("y_true", self.labels), ("y_pred", self.pred_labels)):
            if len(seen) > 2:
                raise ValueError(f"Binary task but {name} has {len(seen)} distinct labels: {sorted(map(str, seen))}")
        frame = self._merged()
        frame[COUNT] = frame[COUNT].astype(np.int64)
        if self.n_rows == 0:
            raise ValueError("No rows with both an outcome and a prediction.")
        return CompressedOutputs(
            frame=frame, task=self.task, mapping=self.mapping, n_rows=self.n_rows, n_rows_excluded=self.n_excluded
        )


def _distinct(column: pd.Series) -> Any:
    """The distinct values of a label column; for numbers a min/max scan when there are at most two of them."""
    if column.dtype.kind in "iuf" and len(column):
        values = column.to_numpy()
        low, high = values.min(), values.max()
        if ((values == low) | (values == high)).all():
            return {low, high}
    return pd.unique(column)


def level_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code per row and the string label of each code, for one grouping column.

    The labels are exactly what the per-row conversion ``column.astype("string").fillna(UNKNOWN_LEVEL).astype(str)``
    gives (str levels: JSON keys must be strings, and fairlearn 0.15 rejects missing values, see UNKNOWN_LEVEL), but
    the conversion runs on the distinct values only. Missing values get the last code, labelled ``UNKNOWN_LEVEL``.
    Codes sharing a label (a literal ``"Unknown"`` next to missing values, categories with equal string forms) are
    merged, so there is one code per distinct label.

    Factorising is exact only where equal values have equal string forms: strings, integers, booleans, categories.
    Other columns (floats: ``0.0 == -0.0``; mixed objects: ``1 == 1.0 == True``) are converted per row first.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy(dtype=np.int64)
        uniques: Any = column.cat.categories
    elif isinstance(dtype, pd.StringDtype) or dtype.kind in "iub":
        codes, uniques = pd.factorize(column)
    elif dtype.kind == "O":
        codes, uniques = pd.factorize(column)
        if not all(isinstance(u, str) for u in uniques):
            codes, uniques = pd.factorize(column.astype("string").fillna(UNKNOWN_LEVEL).astype(str))
    else:
        codes, uniques = pd.factorize(column.astype("string").fillna(UNKNOWN_LEVEL).astype(str))
    labels = pd.Series(uniques).astype("string").fillna(UNKNOWN_LEVEL).astype(str).to_numpy(dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
    labels = np.append(labels, np.array([UNKNOWN_LEVEL], dtype=object))
    if len(set(labels)) < len(labels):  # one code per distinct label
        inverse, distinct = pd.factorize(labels)
        codes, labels = inverse[codes], np.asarray(distinct, dtype=object)
    return codes, labels


def _first_rows(code: np.ndarray, size: int) -> np.ndarray:
    """Index of the first row holding each value of ``code`` (in ``range(size)``); ``len(code)`` if none does."""
    n = len(code)
    first = np.full(size, n, dtype=np.int64)
    head = min(n, 1 << 16)  # usually every combination shows up early: look at the start first
    np.minimum.at(first, code[:head], np.arange(head))
    if head < n and (first[np.bincount(code, minlength=size) > 0] == n).any():
        np.minimum.at(first, code, np.arange(n))
    return first


def _count_cells(numeric: dict[str, np.ndarray], levels: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Count rows per unique combination of the ``numeric`` values and the ``levels`` labels.

    Same rows, counts and row order as ``groupby(level labels, sort=False).ngroup()`` folded with the numeric values'
    factor codes and sorted (the cell order feeds the seeded bootstrap, so it is kept): cells ordered by the first
    appearance of their level combination, then of each numeric value. Several times faster on millions of rows: the
    level codes are folded into one combination code and the numeric codes after it (binary 0/1 columns are their
    own codes) into one int64 cell code, which ``np.bincount`` (or ``np.unique`` for sparse codes) counts; only the
    few distinct cells are decoded back to values and labels. Falls back to a groupby on the codes if the cell code
    could overflow (many distinct regression values).
    """
    nums: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []  # name, codes, uniques, appearance rank
    for name, values in numeric.items():
        if values.dtype == np.int8 and len(values):  # binary outcome/prediction: already 0/1 codes
            first_value = int(values[0])
            nums.append((name, values, np.array([0, 1], dtype=np.int8), np.array([first_value, 1 - first_value])))
        else:
            codes, uniques = pd.factorize(values)
            nums.append((name, codes, np.asarray(uniques), np.arange(len(uniques))))
    level_radix = [len(labels) for _, labels in levels.values()]
    num_radix = [len(uniques) for _, _, uniques, _ in nums]
    n_combos = float(np.prod(level_radix, dtype=np.float64))
    if n_combos * float(np.prod(num_radix, dtype=np.float64)) >= _MAX_CELL_CODE:
        codes_frame = pd.DataFrame({name: codes for name, (codes, _) in levels.items()})
        for name, codes, _, _ in nums:
            codes_frame[name] = codes
        sizes = codes_frame.groupby(list(codes_frame.columns), sort=False).size()
        found = sizes.index.to_frame(index=False)
        out = pd.DataFrame({name: uniques[found[name].to_numpy()] for name, _, uniques, _ in nums})
        for name, (_, labels) in levels.items():
            out[name] = labels[found[name].to_numpy()]
        out[COUNT] = sizes.to_numpy()
        return out
    combo = np.zeros(len(nums[0][1]), dtype=np.int64)
    for (codes, _), size in zip(levels.values(), level_radix, strict=True):
        combo *= size
        combo += codes
    first = _first_rows(combo, int(n_combos))
    code = combo.copy()
    for (_, codes, _, _), size in zip(nums, num_radix, strict=True):
        code *= size
        code += codes
    total = n_combos * float(np.prod(num_radix, dtype=np.float64))
    if total <= max(4 * len(code), 1 << 16):
        per_code = np.bincount(code, minlength=int(total))
        unique_codes = np.flatnonzero(per_code)
        counts = per_code[unique_codes]
    else:
        unique_codes, counts = np.unique(code, return_counts=True)
    digits: dict[str, np.ndarray] = {}
    rest = unique_codes
    for (name, _, _, _), size in reversed(list(zip(nums, num_radix, strict=True))):
        rest, digits[name] = np.divmod(rest, size)
    cell_combo = rest
    for name, size in reversed(list(zip(levels, level_radix, strict=True))):
        rest, digits[name] = np.divmod(rest, size)
    order = np.lexsort([rank[digits[name]] for name, _, _, rank in reversed(nums)] + [first[cell_combo]])
    out = pd.DataFrame({name: uniques[digits[name][order]] for name, _, uniques, _ in nums})
    for name, (_, labels) in levels.items():
        out[name] = labels[digits[name][order]]
    out[COUNT] = counts[order]
    return out


def compress_frame(df: pd.DataFrame, mapping: ColumnMapping, *, task: Task | str = Task.BINARY) -> CompressedOutputs:
    """Compress an in-memory frame of model outputs. Rows missing y_true, the prediction or the weight are excluded
    and counted in ``n_rows_excluded``."""
    return compress_chunks([df], mapping, task=task)


def compress_chunks(
    chunks: Iterable[pd.DataFrame], mapping: ColumnMapping, *, task: Task | str = Task.BINARY
) -> CompressedOutputs:
    """Compress a stream of frames, one chunk at a time."""
    compressor = _Compressor(mapping=mapping, task=Task(task))
    for chunk in chunks:
        compressor.add(chunk)
    return compressor.finish()


def _sniff_format(source: Source) -> str:
    """Tell Parquet (``PAR1`` magic), gzip (``1f 8b``) and plain CSV apart from the first bytes."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            head: bytes | str = fh.read(4)
    else:
        head = source.read(4)
        source.seek(0)
    if isinstance(head, str):
        return "csv"
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        return "csv.gz"
    return "csv"


class _InferredCategories(Exception):
    """pandas turned a grouping column's category labels into numbers/dates/booleans: re-read it as strings."""


def _iter_csv(
    source: Source, mapping: ColumnMapping, chunksize: int, compression: str | None, as_strings: bool
) -> Iterator[pd.DataFrame]:
    # Grouping columns are read as categories by default: the C parser encodes them while parsing, instead of
    # building one Python string per row as dtype=str does (three times slower than everything else in an audit).
    # pandas converts the labels when they all look like numbers, dates or booleans ("007" -> 7); then the file is
    # read again with dtype=str, so the levels are always the strings written in the file.
    dtypes = dict.fromkeys(mapping.group_columns, "str" if as_strings else "category")
    reader = pd.read_csv(
        source, usecols=mapping.input_columns, dtype=dtypes, chunksize=chunksize, compression=compression
    )
    with reader:
        for chunk in reader:
            if not as_strings:
                for col in mapping.group_columns:
                    categories = chunk[col].cat.categories
                    if not all(isinstance(c, str) for c in categories):
                        raise _InferredCategories(col)
            yield chunk


def _iter_parquet(source: Source, mapping: ColumnMapping, chunksize: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    for batch in parquet.iter_batches(batch_size=chunksize, columns=mapping.input_columns):
        yield batch.to_pandas()


def load_outputs(
    source: Source,
    *,
    mapping: ColumnMapping,
    task: Task | str = Task.BINARY,
    file_format: str | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
) -> CompressedOutputs:
    """Stream-read model outputs from CSV, CSV.gz or Parquet (path or binary file object) into compressed cells.

    ``file_format`` is ``"csv"``, ``"csv.gz"`` or ``"parquet"``; by default it is sniffed from the first bytes. Only
    the mapped columns are read, ``chunksize`` rows at a time.
    """
    fmt = file_format or _sniff_format(source)
    if fmt == "parquet":
        chunks = _iter_parquet(source, mapping, chunksize)
    elif fmt in ("csv", "csv.gz"):
        if isinstance(source, io.TextIOBase) and fmt == "csv.gz":
            raise ValueError("csv.gz needs a binary file object or a path.")
        compression = "gzip" if fmt == "csv.gz" else None
        try:
            return compress_chunks(_iter_csv(source, mapping, chunksize, compression, False), mapping, task=task)
        except _InferredCategories:
            if not isinstance(source, str | os.PathLike):
                source.seek(0)
            chunks = _iter_csv(source, mapping, chunksize, compression, True)
    else:
        raise ValueError(f"Unknown file format {fmt!r}; use 'csv', 'csv.gz' or 'parquet'.")
    return compress_chunks(chunks, mapping, task=task)
