"""Small vectorised helpers over pyarrow string arrays (fast C++ kernels, no Python row loops)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

Strs = pa.Array
EPOCH_DAY = np.datetime64("1970-01-01", "D")


def bank(values: Sequence[str]) -> pa.Array:
    """A word bank as an arrow array, so `take` by numpy indices is vectorised."""
    return pa.array(list(values), pa.string())


def take(values: Sequence[str] | pa.Array, idx: np.ndarray) -> pa.Array:
    arr = values if isinstance(values, pa.Array) else bank(values)
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; nulls count as empty strings."""
    arrays = [p for p in parts]
    if not any(isinstance(p, (pa.Array, pa.ChunkedArray)) for p in arrays):
        raise ValueError("cat needs at least one array")
    arrays = [pc.fill_null(p, "") if isinstance(p, (pa.Array, pa.ChunkedArray)) else p for p in arrays]
    return pc.binary_join_element_wise(*arrays, "")


def num_str(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width` digits when width > 0."""
    s = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def where(mask: np.ndarray, a: pa.Array | str | None, b: pa.Array | str | None) -> pa.Array:
    """Vectorised if/else on strings; `None` means null."""
    a_ = pa.scalar(a, pa.string()) if not isinstance(a, pa.Array) else a
    b_ = pa.scalar(b, pa.string()) if not isinstance(b, pa.Array) else b
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a_, b_)


def by_kind(kind: np.ndarray, builders: Sequence[Callable[[np.ndarray], pa.Array]]) -> pa.Array:
    """Render each row with builders[kind[row]](row_indices); only the needed rows are built."""
    kind = np.asarray(kind)
    order = np.argsort(kind, kind="stable")
    counts = np.bincount(kind, minlength=len(builders))
    pieces, start = [], 0
    for k, c in enumerate(counts):
        if c:
            piece = builders[k](order[start:start + c])
            pieces.append(piece.cast(pa.string()) if piece.type != pa.string() else piece)
        start += c
    merged = pa.concat_arrays(pieces) if pieces else pa.array([], pa.string())
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return merged.take(pa.array(inverse))


def choice_idx(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


# ---- dates -----------------------------------------------------------------------------
DATE_FORMATS = {
    "iso": "%Y-%m-%d", "ru": "%d.%m.%Y", "compact": "%Y%m%d", "iso_time": "%Y-%m-%d %H:%M:%S",
    "ru_time": "%d.%m.%Y %H:%M", "iso_t": "%Y-%m-%dT%H:%M:%S",
}


def fmt_times(secs: np.ndarray, fmt_names: Sequence[str], kind: np.ndarray | None = None) -> pa.Array:
    """Format epoch seconds; with `kind`, row i uses fmt_names[kind[i]] (mixed formats in one column)."""
    ts = pa.array(np.asarray(secs, dtype=np.int64), pa.timestamp("s"))
    if kind is None:
        return pc.strftime(ts, format=DATE_FORMATS[fmt_names[0]])

    def builder(fmt: str) -> Callable[[np.ndarray], pa.Array]:
        return lambda rows: pc.strftime(ts.take(pa.array(rows)), format=fmt)

    return by_kind(kind, [builder(DATE_FORMATS[n]) for n in fmt_names])


def days_to_secs(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64) * 86_400


def money_str(kopecks: np.ndarray, comma: np.ndarray | None = None) -> pa.Array:
    """Amount as '1234.50'; rows flagged in `comma` become '1 234,50' (Excel-style Russian)."""
    k = np.asarray(kopecks, dtype=np.int64)
    rub, kop = k // 100, k % 100
    plain = cat(num_str(rub), ".", num_str(kop, 2))
    if comma is None or not comma.any():
        return plain
    thousands = rub // 1000
    ru = cat(where(thousands > 0, cat(num_str(thousands), " "), ""),
             where(thousands > 0, num_str(rub % 1000, 3), num_str(rub % 1000)), ",", num_str(kop, 2))
    return where(comma, ru, plain)


# ---- writing ---------------------------------------------------------------------------
def write_csv(path: Path, columns: dict[str, pa.Array], delimiter: str = ",", encoding: str = "utf-8",
              header: Sequence[str] | None = None, chunk_rows: int = 200_000) -> int:
    """Write a CSV with an unquoted header; non-UTF-8 files are transcoded chunk by chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns)
    names = list(header) if header else list(columns)
    opts = pacsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="needed")
    with open(path, "wb") as fh:
        fh.write((delimiter.join(names) + "\r\n" if encoding == "cp1251" else delimiter.join(names) + "\n")
                 .encode(encoding))
        for start in range(0, max(table.num_rows, 1), chunk_rows):
            part = table.slice(start, chunk_rows)
            if part.num_rows == 0:
                break
            if encoding == "utf-8":
                pacsv.write_csv(part, fh, opts)
            else:
                sink = pa.BufferOutputStream()
                pacsv.write_csv(part, sink, opts)
                text = sink.getvalue().to_pybytes().decode("utf-8")
                if encoding == "cp1251":
                    text = text.replace("\n", "\r\n")
                fh.write(text.encode(encoding, errors="replace"))
    return table.num_rows
