"""Compression of raw outputs into cells, and streaming from CSV / CSV.gz / Parquet."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest

from audits.metrics import (
    UNKNOWN_LEVEL,
    ColumnMapping,
    Task,
    compress_chunks,
    compress_frame,
    compute_fairness,
    load_outputs,
    metric_names,
)
from audits.metrics import compress as compress_module
from audits.metrics.compress import COUNT, WEIGHT, Y_PRED, Y_TRUE

MAPPING = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"), sample_weight="w")


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values([c for c in frame.columns if c != COUNT]).reset_index(drop=True)


def test_compression_keeps_one_row_per_unique_cell_with_its_count(make_outputs):
    # given
    df = make_outputs(70, 5000, weights=True)

    # when
    compressed = compress_frame(df, MAPPING)

    # then
    expected = df.groupby(["y_true", "y_pred", "w", "sex", "race"]).size()
    assert len(compressed.frame) == len(expected) < 200
    assert compressed.n_rows == compressed.frame[COUNT].sum() == 5000
    assert list(compressed.frame.columns) == [Y_TRUE, Y_PRED, WEIGHT, "sex", "race", COUNT]
    assert compressed.sample_weight.sum() == pytest.approx(df["w"].sum(), rel=1e-12)


def test_missing_sensitive_values_become_an_explicit_unknown_category():
    # given
    df = pd.DataFrame({"y_true": [1, 0, 1, 0], "y_pred": [1, 1, 0, 0], "sex": ["F", None, np.nan, "M"]})
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex")

    # when
    result = compute_fairness(df, mapping, min_group_size=0, n_boot=0)

    # then
    counts = {g.group: g.count for g in result.strata[0].groups}
    assert counts == {"F": 1, "M": 1, UNKNOWN_LEVEL: 2}


def test_rows_without_outcome_prediction_or_weight_are_excluded_and_counted():
    # given
    df = pd.DataFrame(
        {"y_true": [1, None, 1, 0, 0], "y_pred": [1, 1, None, 0, 1], "w": [1.0, 1.0, 1.0, None, 2.0], "sex": "F"}
    )
    df["race"] = "A"

    # when
    compressed = compress_frame(df, MAPPING)

    # then
    assert (compressed.n_rows, compressed.n_rows_excluded) == (2, 3)


@pytest.mark.parametrize(
    ("column", "values"),
    [("y_true", [0, 1, 2, 1]), ("y_pred", ["a", "b", "c", "a"])],
)
def test_a_binary_task_rejects_more_than_two_labels(column, values):
    # given
    df = pd.DataFrame({"y_true": [0, 1, 1, 0], "y_pred": [1, 0, 1, 0], "sex": "F"})
    df[column] = values

    # when / then
    with pytest.raises(ValueError, match=f"{column} has 3 distinct labels"):
        compress_frame(df, ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex"))


def test_string_labels_are_mapped_with_pos_label():
    # given
    df = pd.DataFrame({"hired": ["yes", "no", "yes"], "advance": ["yes", "yes", "no"], "sex": ["F", "F", "M"]})
    mapping = ColumnMapping(y_true="hired", y_pred="advance", sensitive_features="sex", pos_label="yes")

    # when
    result = compute_fairness(df, mapping, min_group_size=0, n_boot=0)

    # then
    rates = {g.group: g.metrics["selection_rate"].value for g in result.strata[0].groups}
    assert rates == {"F": 1.0, "M": 0.0}


def test_scores_with_a_threshold_give_the_same_result_as_the_thresholded_predictions(make_outputs):
    # given: the fixture's y_pred is score >= 0.5
    df = make_outputs(71, 3000)
    by_score = ColumnMapping(y_true="y_true", y_score="score", threshold=0.5, sensitive_features=("sex", "race"))
    by_label = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"))

    # when
    from_scores = compute_fairness(df, by_score, n_boot=20).to_dict()
    from_labels = compute_fairness(df, by_label, n_boot=20).to_dict()

    # then
    assert from_scores == from_labels


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sensitive_features": ()}, "At least one sensitive feature"),
        ({"y_pred": None}, "exactly one of y_pred or y_score"),
        ({"y_score": "s"}, "exactly one of y_pred or y_score"),
        ({"y_pred": None, "y_score": "s"}, "needs a threshold"),
        ({"control_feature": "sex"}, "must be distinct"),
        ({"sensitive_features": ("_count",)}, "reserved"),
    ],
)
def test_invalid_column_mappings_are_rejected(kwargs, message):
    # given
    arguments = {"y_true": "y", "y_pred": "p", "sensitive_features": ("sex",), **kwargs}

    # when / then
    with pytest.raises(ValueError, match=message):
        ColumnMapping(**arguments)


def test_a_regression_task_takes_the_score_as_y_pred():
    # given
    df = pd.DataFrame({"y": [1.0], "s": [2.0], "g": ["a"]})
    mapping = ColumnMapping(y_true="y", y_score="s", threshold=0.5, sensitive_features="g")

    # when / then
    with pytest.raises(ValueError, match="take the score as y_pred"):
        compress_frame(df, mapping, task="regression")


def test_missing_columns_are_reported():
    # given
    df = pd.DataFrame({"y_true": [1], "y_pred": [1]})

    # when / then
    with pytest.raises(ValueError, match=r"Missing columns: \['w', 'sex', 'race'\]"):
        compress_frame(df, MAPPING)


def test_input_without_usable_rows_is_rejected():
    # given
    df = pd.DataFrame({"y_true": [None], "y_pred": [1], "w": [1.0], "sex": ["F"], "race": ["A"]})

    # when / then
    with pytest.raises(ValueError, match="No rows"):
        compress_frame(df, MAPPING)


def test_chunks_are_compacted_and_merged_into_the_same_cells(make_outputs, monkeypatch):
    # given: compaction after every few cells, as a huge file would trigger it
    df = make_outputs(72, 6000, weights=True)
    monkeypatch.setattr(compress_module, "_COMPACT_AT_CELLS", 50)
    chunks = [df.iloc[i : i + 700] for i in range(0, len(df), 700)]

    # when
    streamed = compress_chunks(chunks, MAPPING)
    at_once = compress_frame(df, MAPPING)

    # then
    pd.testing.assert_frame_equal(_canonical(streamed.frame), _canonical(at_once.frame))
    assert streamed.n_rows == at_once.n_rows == 6000


def _write(df: pd.DataFrame, fmt: str, path) -> None:
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "csv.gz":
        df.to_csv(path, index=False, compression="gzip")
    else:
        df.to_parquet(path, index=False, row_group_size=500)


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
@pytest.mark.parametrize("as_file_object", [False, True])
def test_files_are_streamed_in_chunks_into_the_same_cells(make_outputs, tmp_path, fmt, as_file_object):
    # given
    df = make_outputs(73, 3000, weights=True)
    df.loc[::97, "sex"] = None
    path = tmp_path / f"outputs.{fmt}"
    _write(df, fmt, path)
    expected = compress_frame(df, MAPPING)

    # when
    if as_file_object:
        with open(path, "rb") as fh:
            loaded = load_outputs(fh, mapping=MAPPING, chunksize=400)
    else:
        loaded = load_outputs(str(path), mapping=MAPPING, chunksize=400)

    # then
    pd.testing.assert_frame_equal(_canonical(loaded.frame), _canonical(expected.frame))
    assert loaded.n_rows == 3000


def test_a_text_stream_is_read_as_csv(make_outputs):
    # given
    df = make_outputs(74, 300, weights=True)
    text = io.StringIO(df.to_csv(index=False))

    # when
    loaded = load_outputs(text, mapping=MAPPING)

    # then
    assert loaded.n_rows == 300


def test_an_explicit_format_skips_sniffing(make_outputs):
    # given
    df = make_outputs(75, 300, weights=True)
    data = io.BytesIO(gzip.compress(df.to_csv(index=False).encode()))

    # when
    loaded = load_outputs(data, mapping=MAPPING, file_format="csv.gz")

    # then
    assert loaded.n_rows == 300


@pytest.mark.parametrize(
    ("source", "file_format", "message"),
    [
        (io.StringIO("a,b\n"), "csv.gz", "binary file object"),
        (io.BytesIO(b"x"), "xlsx", "Unknown file format"),
    ],
)
def test_unreadable_sources_are_rejected(source, file_format, message):
    # when / then
    with pytest.raises(ValueError, match=message):
        load_outputs(source, mapping=MAPPING, file_format=file_format)


def test_loaded_outputs_feed_the_computation_directly(make_outputs, tmp_path):
    # given
    df = make_outputs(76, 2000, weights=True)
    path = tmp_path / "outputs.parquet"
    _write(df, "parquet", path)

    # when
    from_file = compute_fairness(load_outputs(path, mapping=MAPPING), n_boot=30).to_dict()
    from_frame = compute_fairness(df, MAPPING, n_boot=30).to_dict()

    # then
    assert from_file == from_frame


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("binary", ["selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate",
                    "true_negative_rate", "precision_score", "accuracy_score", "count"]),
        ("regression", ["mean_absolute_error", "mean_squared_error", "r2_score", "mean_prediction", "scoring_rate",
                        "count"]),
    ],
)  # fmt: skip
def test_metric_names_are_the_stable_result_keys(task, expected):
    # when / then
    assert metric_names(Task(task)) == expected


@pytest.mark.parametrize("max_code", [2**62, 1], ids=["int64-codes", "groupby-fallback"])
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_cell_counting_matches_a_plain_groupby(make_outputs, monkeypatch, max_code, task):
    # given
    df = make_outputs(77, 4000, task=task, weights=True)
    df.loc[::13, "race"] = None
    monkeypatch.setattr(compress_module, "_MAX_CELL_CODE", max_code)
    keys = ["y_true", "y_pred", "w", "sex", "race"]
    dtype = np.int8 if task == "binary" else np.float64
    numeric = {k: df[k].to_numpy(dtype=dtype) for k in ["y_true", "y_pred"]} | {"w": df["w"].to_numpy()}
    levels = {k: compress_module.level_codes(df[k]) for k in ["sex", "race"]}

    # when
    counted = compress_module._count_cells(numeric, levels)

    # then
    expected = df.fillna({"race": UNKNOWN_LEVEL}).groupby(keys).size().reset_index(name=COUNT)
    pd.testing.assert_frame_equal(_canonical(counted), _canonical(expected), check_dtype=False)


_MIXED = pd.Series([1, True, 1.0, "1", None, -0.0, 0.0], dtype=object)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["F", "M", None, "F", "Unknown", np.nan], dtype=object),
        pd.Series(["F", "M", None, "F", "Unknown"], dtype="string"),
        pd.Series(["F", "M", None, "F", "X"], dtype="str"),
        pd.Series([3, 1, 3, 2]),
        pd.Series([3, None, 3, 2], dtype="Int64"),
        pd.Series([True, False, True]),
        pd.Series([1.5, -0.0, 0.0, np.nan, 1.5]),
        pd.Categorical(["b", "a", None, "b"], categories=["a", "b", "c"]),
        pd.Categorical([1, 2, 1], categories=[1, 2]),
        _MIXED,
    ],
    ids=["object", "string", "str", "int", "Int64", "bool", "float", "category", "int-category", "mixed-object"],
)
def test_level_codes_give_the_per_row_string_labels(column):
    # given: the per-row conversion the labels must equal
    column = pd.Series(column)
    expected = column.astype("string").fillna(UNKNOWN_LEVEL).astype(str).tolist()

    # when
    codes, labels = compress_module.level_codes(column)

    # then
    assert labels[codes].tolist() == expected


def test_values_with_equal_string_forms_end_up_in_one_cell():
    # given: a literal "Unknown" next to missing values, and 1 / 1.0 / True which pandas factorises together
    sex = pd.concat([_MIXED, pd.Series([UNKNOWN_LEVEL], dtype=object)], ignore_index=True)
    df = pd.DataFrame({"y_true": 1, "y_pred": 1, "sex": sex})
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex")

    # when
    frame = compress_frame(df, mapping).frame

    # then
    counts = dict(zip(frame["sex"], frame[COUNT], strict=True))
    assert sorted(counts.items()) == [("-0.0", 1), ("0.0", 1), ("1", 2), ("1.0", 1), ("True", 1), (UNKNOWN_LEVEL, 2)]
    assert len(frame) == len(frame.drop(columns=COUNT).drop_duplicates())


def test_csv_grouping_values_stay_the_strings_written_in_the_file(tmp_path):
    # given: values a numeric parse would change (leading zeros, 1.0 vs 1), and an empty (missing) field
    path = tmp_path / "outputs.csv"
    path.write_text("y_true,y_pred,sex\n1,1,007\n0,1,1.0\n1,0,1\n0,0,\n1,1,007\n")
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex")

    # when
    frame = load_outputs(path, mapping=mapping, chunksize=2).frame

    # then
    counts = frame.groupby("sex")[COUNT].sum().to_dict()
    assert counts == {"007": 2, "1.0": 1, "1": 1, UNKNOWN_LEVEL: 1}


@pytest.mark.parametrize(
    ("values", "re_read"),
    [
        (["F", "M", "", "F", "X"], False),
        (["007", "F", "1.0", "1", "007", "2024-01-01"], False),
        (["007", "1.0", "1", "", "007"], True),
        (["True", "False"] * 2, True),
    ],
    ids=["text-read-once", "mixed-read-once", "numeric-looking-read-again", "boolean-looking-read-again"],
)
def test_csv_levels_are_the_file_strings_read_once_as_categories_or_again_as_str(
    tmp_path, monkeypatch, values, re_read
):
    # given
    path = tmp_path / "outputs.csv"
    rows = "".join(f"{i % 2},1,{v}\n" for i, v in enumerate(values))
    path.write_text("y_true,y_pred,sex\n" + rows)
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex")
    passes: list[bool] = []
    real_iter = compress_module._iter_csv
    monkeypatch.setattr(compress_module, "_iter_csv", lambda *a: (passes.append(a[-1]), real_iter(*a))[1])

    # when
    with open(path, "rb") as fh:
        frame = load_outputs(fh, mapping=mapping, chunksize=len(values) if not re_read else 2).frame

    # then
    expected = pd.Series([v or UNKNOWN_LEVEL for v in values]).value_counts().to_dict()
    assert frame.groupby("sex")[COUNT].sum().to_dict() == expected
    assert passes == ([False, True] if re_read else [False])
