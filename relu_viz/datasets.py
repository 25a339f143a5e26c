"""Two-dimensional classification data: TensorFlow Playground's generators, four more, and CSV upload.

Every dataset is a point cloud ``x`` of shape (n, 2) (float32, in the trainer's view units: data sits
within about ±5 so that it fits the [-6, 6]² map) with integer labels ``y`` of shape (n,) in 0..K-1.

Generators (``make``), all driven by ``numpy.random.default_rng(seed)`` (no global state: same
arguments, same arrays). ``noise`` ∈ [0, 0.5] is the UI's 0–50 %; U(a, b) is uniform, N(m, s²) normal.
Playground's labels -1/+1 become 0/1 here; rows are shuffled, as Playground does before splitting.

- circle (Playground): half the points (class 1) at radius r ~ U[0, 2.5), half (class 0) at
  r ~ U[3.5, 5); angle ~ U[0, 2π); the point drawn is (r sin a, r cos a) but its label is read at
  the point shifted by noise·U(-5, 5) per axis: class 1 iff the shifted point is within radius 2.5.
- xor (Playground): x1, x2 ~ U(-5, 5), each pushed 0.3 away from its axis; label 1 iff
  (x1 + s1)(x2 + s2) ≥ 0 with shifts s ~ noise·U(-5, 5).
- gauss (Playground): class 1 ~ N((2, 2), v·I), class 0 ~ N((-2, -2), v·I) with variance
  v = 0.5 + 7·noise (0.5 at noise 0, 4 at noise 0.5); exactly half the points each.
- spiral (Playground): m = n/2 points per class, i = 0..m-1: r = 5i/m, t = 1.75·2π·i/m (+π for
  class 0); point (r sin t, r cos t) + noise·U(-1, 1) per axis.
- moons: the two interleaved half-moons (cos t, sin t) (class 0) and (1 - cos t, 0.5 - sin t)
  (class 1), t ~ U[0, π], centred and scaled ×3 (x1 within ±4.5), plus N(0, (2·noise)²) jitter.
- checkerboard: a 4×4 board of 2.5-wide cells over [-5, 5]²; points sampled 0.15 inside the cells of
  their colour; label = (i + j) mod 2 of the cell (i, j) holding the point shifted by noise·U(-2.5, 2.5).
- rings (3 classes): radius bands [0, 1.4), [2, 3.2), [3.8, 5) for classes 0, 1, 2, angle U[0, 2π);
  label read at the point shifted by noise·U(-5, 5): 0 if |p| < 1.7, 1 if |p| < 3.5, else 2.
- blobs (k = 3..5 classes): centres at radius 3.5, angles π/2 + 2πc/k; class c ~ N(centre, v·I) with
  v = 0.3 + 2.4·noise (0.3 → 1.5).

Classes are split as evenly as possible (the first n mod K classes get one extra point); with label
noise (circle, xor, checkerboard, rings) the counts then drift, as in Playground. Generated classes are
named "0", "1", …, "K-1": the same names a user's 0/1 CSV produces, so the UI can prefix "class ".

CSV upload (``load_csv``): three columns read by position as x1, x2, label; see its docstring.
"""

import csv
import io
import math
import numbers
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
MIN_CLASSES = 2
MAX_CLASSES = 10
MAX_LABEL_CHARS = 40  # class names end up in legends; longer ones only break the layout
N_RANGE = (50, 2000)
NOISE_RANGE = (0.0, 0.5)
K_RANGE = (3, 5)
COLUMNS = ("x1", "x2", "label")

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Plain ASCII decimals only: float() would also take '1_000', 'infinity' and non-ASCII digits.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_BAD_LABEL_CATEGORIES = {"Cc", "Cf", "Cs"}  # control, invisible formatting (bidi overrides), surrogates


class DataError(ValueError):
    """Bad dataset arguments or a bad uploaded file.

    ``row`` is the 1-based line number in the file and ``column`` one of "x1", "x2", "label";
    either is None when the problem is not tied to one.
    """

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """n labelled points in the plane.

    ``x``: float32 (n, 2), finite; ``y``: int64 (n,), values in 0..K-1; ``classes``: the K display
    names (unique, non-empty, 2 ≤ K ≤ MAX_CLASSES), ``classes[y[i]]`` being point i's class.
    The constructor copies both arrays and makes the copies read-only, so a Dataset (which may be
    cached and shared) can't be changed in place; ``torch.tensor(ds.x)`` copies without complaint.
    """

    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    name: str = "data"

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=np.float32)
        if x.size == 0:
            x = x.reshape(0, 2)
        if x.ndim != 2 or x.shape[1] != 2:
            raise DataError(f"x must have shape (n, 2), got {x.shape}.")
        if not np.isfinite(x).all():
            raise DataError("x must be finite.")
        y = np.asarray(self.y)
        if y.size and y.dtype.kind not in "iu":
            raise DataError(f"y must hold integers, got dtype {y.dtype}.")
        y = np.array(y, dtype=np.int64)
        if y.size == 0:
            y = y.reshape(0)
        if y.shape != (x.shape[0],):
            raise DataError(f"y must have shape ({x.shape[0]},), got {y.shape}.")
        classes = tuple(self.classes)
        if not all(isinstance(c, str) and c for c in classes) or len(set(classes)) != len(classes):
            raise DataError("classes must be unique, non-empty strings.")
        if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
            raise DataError(f"A dataset needs {MIN_CLASSES} to {MAX_CLASSES} classes, got {len(classes)}.")
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise DataError(f"y must lie in 0..{len(classes) - 1}.")
        x.flags.writeable = False
        y.flags.writeable = False
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "name", str(self.name))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, n={len(self)}, classes={self.classes!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (
            self.name == other.name
            and self.classes == other.classes
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.classes, self.x.tobytes(), self.y.tobytes()))

    @property
    def n_classes(self) -> int:
        """K, the number of classes (including any with no points)."""
        return len(self.classes)

    def counts(self) -> np.ndarray:
        """Points per class: int64 (K,), ``counts()[c] = #{i : y[i] = c}``."""
        return np.bincount(self.y, minlength=self.n_classes).astype(np.int64)

    def split(self, train_share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic stratified train/test split: (train, test) ascending int64 index arrays.

        The train set has round(train_share · n) points, shared out over the classes by largest
        remainder, so class c gets floor or ceil of train_share · n_c. Within a class the points with
        the smallest keys u_i (u = default_rng(seed).random(n)) go to train. Because u_i depends only
        on i, appending a point (``with_point``) moves at most a couple of existing points across.

        Neither side is ever empty when there are two points or more: a tiny dataset whose share would
        round to no training (or no test) point gets one, taken from (or given to) the largest class
        (:func:`split_sizes` tells how many each side gets).
        """
        share = _real(train_share, "train_share")
        if not 0.0 < share < 1.0:
            raise DataError(f"train_share must be strictly between 0 and 1, got {share}.")
        seed = _seed(seed)
        n = len(self)
        keys = np.random.default_rng(seed).random(n)
        counts = self.counts()
        exact = share * counts
        quota = np.floor(exact).astype(np.int64)
        missing = math.floor(share * n + 0.5) - int(quota.sum())
        by_remainder = np.argsort(-(exact - quota), kind="stable")
        quota[by_remainder[:missing]] += 1
        wanted = split_sizes(n, share)[0]
        if int(quota.sum()) < wanted:  # no training point: the largest class lends one
            quota[int(np.argmax(counts))] += 1
        elif int(quota.sum()) > wanted:  # no test point: the largest class keeps one back
            quota[int(np.argmax(counts))] -= 1
        train = np.zeros(n, dtype=bool)
        for c in range(self.n_classes):
            members = np.flatnonzero(self.y == c)
            chosen = members[np.argsort(keys[members], kind="stable")[: quota[c]]]
            train[chosen] = True
        return np.flatnonzero(train).astype(np.int64), np.flatnonzero(~train).astype(np.int64)

    def with_point(self, x1: float, x2: float, label: int | str) -> "Dataset":
        """A new Dataset with the point (x1, x2) appended; ``label`` is a class index or class name."""
        if isinstance(label, str):
            if label not in self.classes:
                raise DataError(f"Unknown class {label!r}; the classes are {', '.join(self.classes)}.")
            index = self.classes.index(label)
        else:
            try:
                index = operator.index(label)
            except TypeError:
                raise DataError(f"label must be a class index or name, got {label!r}.") from None
            if not 0 <= index < self.n_classes:
                raise DataError(f"Class index {index} is out of range 0..{self.n_classes - 1}.")
        point = np.array([[_real(x1, "x1"), _real(x2, "x2")]], dtype=np.float64)
        if not np.isfinite(point).all() or np.abs(point).max() > _FLOAT32_MAX:
            raise DataError("The point's coordinates must be finite numbers.")
        return Dataset(
            np.vstack([self.x, point.astype(np.float32)]),
            np.append(self.y, index),
            self.classes,
            self.name,
        )

    def to_csv(self) -> str:
        """The data as CSV text: header ``x1,x2,label``, one row per point, labels as class names.

        Coordinates are written as the shortest decimal that reads back to the same float32, so
        ``load_csv(ds.to_csv())`` returns equal arrays whenever every class has a point and the
        classes are already in ``load_csv``'s order (true for generated and uploaded data).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        labels = [spreadsheet_safe(c) for c in self.classes]
        for (a, b), c in zip(self.x, self.y, strict=True):
            writer.writerow((str(a), str(b), labels[c]))
        return buffer.getvalue()


def split_sizes(n: int, train_share: float) -> tuple[int, int]:
    """(training points, test points) that :meth:`Dataset.split` makes of ``n`` points: round(share · n)
    for training, moved to 1 or n - 1 when that would leave a side of two or more points empty."""
    train = math.floor(float(train_share) * n + 0.5)
    if n >= 2:
        train = min(max(train, 1), n - 1)
    return train, n - train


# ---------------------------------------------------------------------------------------------
# Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @ tab or CR is run
# as a formula by Excel, LibreOffice and Google Sheets. Text cells that start so get a leading single
# quote, which spreadsheets read as "text"; numbers are left alone (-1.5 stays a number).

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    # A text that starts with a quote already followed by a trigger is quoted too, so that
    # reading strips exactly what writing added: "'=x" is written "''=x" and read back as "'=x".
    if text.startswith(_FORMULA_TRIGGERS):
        return not _NUMBER.fullmatch(text)
    return text.startswith("'") and _needs_quote(text[1:])


def spreadsheet_safe(text: str) -> str:
    """A text cell for a CSV that a spreadsheet may open: prefixed with ``'`` when it would start a
    formula (OWASP's rule: = + - @ tab CR), unless it is a plain number. :func:`load_csv` strips it."""
    return "'" + text if _needs_quote(text) else text


def _unquote(text: str) -> str:
    """The inverse of :func:`spreadsheet_safe` (a label written by ``to_csv`` reads back unchanged)."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


# ---------------------------------------------------------------------------------------------
# Generators: each takes (n, noise, rng, **options) and returns float64 (n, 2) points, int64 (n,)
# labels and K. ``make`` validates the arguments, shuffles the rows and builds the Dataset.

Generator = Callable[..., tuple[np.ndarray, np.ndarray, int]]


def _counts(n: int, k: int) -> list[int]:
    """n split into k near-equal parts, the first n mod k one larger."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    # Playground puts sin on x and cos on y; kept so the pictures match.
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)])


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    radius = 5.0
    outer, inner = _counts(n, 2)
    r = np.concatenate([rng.uniform(0.7 * radius, radius, outer), rng.uniform(0.0, 0.5 * radius, inner)])
    points = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    shifted = points + rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < 0.5 * radius).astype(np.int64)
    return points, labels, 2


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    points = rng.uniform(-5.0, 5.0, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return points, labels, 2


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    variance = 0.5 + (4.0 - 0.5) * noise / NOISE_RANGE[1]
    sizes = _counts(n, 2)
    centres = np.repeat(np.array([[-2.0, -2.0], [2.0, 2.0]]), sizes, axis=0)
    points = centres + rng.normal(0.0, math.sqrt(variance), (n, 2))
    return points, np.repeat(np.arange(2, dtype=np.int64), sizes), 2


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    parts = []
    for label, (size, delta) in enumerate(zip(_counts(n, 2), (np.pi, 0.0), strict=True)):
        i = np.arange(size)
        arm = _polar(5.0 * i / size, 1.75 * 2 * np.pi * i / size + delta)
        parts.append((arm + rng.uniform(-1.0, 1.0, (size, 2)) * noise, np.full(size, label, np.int64)))
    return np.concatenate([p for p, _ in parts]), np.concatenate([y for _, y in parts]), 2


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    upper, lower = _counts(n, 2)
    t0 = rng.uniform(0.0, np.pi, upper)
    t1 = rng.uniform(0.0, np.pi, lower)
    unit = np.concatenate(
        [np.column_stack([np.cos(t0), np.sin(t0)]), np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])]
    )
    # The unit moons span x in [-1, 2], y in [-0.5, 1]; centre them and scale to about ±4.5.
    points = (unit - [0.5, 0.25]) * 3.0 + rng.normal(0.0, 2.0 * noise, (n, 2))
    return points, np.repeat(np.arange(2, dtype=np.int64), [upper, lower]), 2


def _checkerboard(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    cell, pad = 2.5, 0.15
    grid = np.array([(i, j) for i in range(4) for j in range(4)])
    parts = []
    for colour, size in enumerate(_counts(n, 2)):
        cells = grid[(grid.sum(axis=1) % 2) == colour]
        chosen = cells[rng.integers(0, len(cells), size)]
        parts.append(-5.0 + cell * chosen + rng.uniform(pad, cell - pad, (size, 2)))
    points = np.concatenate(parts)
    shifted = points + rng.uniform(-cell, cell, (n, 2)) * noise
    labels = np.floor((shifted + 5.0) / cell).astype(np.int64).sum(axis=1) % 2
    return points, labels, 2


def _rings(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    bands = ((0.0, 1.4), (2.0, 3.2), (3.8, 5.0))
    sizes = _counts(n, 3)
    r = np.concatenate([rng.uniform(lo, hi, size) for (lo, hi), size in zip(bands, sizes, strict=True)])
    points = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = np.searchsorted([1.7, 3.5], np.hypot(shifted[:, 0], shifted[:, 1]), side="right")
    return points, labels.astype(np.int64), 3


def _blobs(n: int, noise: float, rng: np.random.Generator, k: int = 3) -> tuple[np.ndarray, np.ndarray, int]:
    variance = 0.3 + (1.5 - 0.3) * noise / NOISE_RANGE[1]
    angles = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    sizes = _counts(n, k)
    centres = np.repeat(_polar(np.full(k, 3.5), angles), sizes, axis=0)
    points = centres + rng.normal(0.0, math.sqrt(variance), (n, 2))
    return points, np.repeat(np.arange(k, dtype=np.int64), sizes), k


_GENERATORS: dict[str, Generator] = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "checkerboard": _checkerboard,
    "rings": _rings,
    "blobs": _blobs,
}


def names() -> list[str]:
    """Generator names accepted by ``make``: Playground's four first, then ours."""
    return list(_GENERATORS)


def make(name: str, n: int = 500, noise: float = 0.0, seed: int = 0, **options: int) -> Dataset:
    """Generate ``n`` points of dataset ``name`` (see the module docstring for the maths).

    n ∈ N_RANGE, noise ∈ NOISE_RANGE (0.5 = Playground's 50 %), seed ≥ 0; ``blobs`` takes
    ``k`` ∈ K_RANGE (default 3). The same arguments always give the same arrays.
    """
    if name not in _GENERATORS:
        raise DataError(f"Unknown dataset {name!r}; choose one of: {', '.join(_GENERATORS)}.")
    n = _integer(n, "n")
    if not N_RANGE[0] <= n <= N_RANGE[1]:
        raise DataError(f"n must be between {N_RANGE[0]} and {N_RANGE[1]}, got {n}.")
    noise = _real(noise, "noise")
    if not NOISE_RANGE[0] <= noise <= NOISE_RANGE[1]:
        raise DataError(f"noise must be between {NOISE_RANGE[0]} and {NOISE_RANGE[1]}, got {noise}.")
    seed = _seed(seed)
    accepted = {"k"} if name == "blobs" else set()
    for key in options:
        if key not in accepted:
            raise DataError(f"Dataset {name!r} takes no option {key!r}.")
    if "k" in options:
        k = _integer(options["k"], "k")
        if not K_RANGE[0] <= k <= K_RANGE[1]:
            raise DataError(f"k must be between {K_RANGE[0]} and {K_RANGE[1]}, got {k}.")
        options = {"k": k}
    rng = np.random.default_rng(seed)
    points, labels, k = _GENERATORS[name](n, noise, rng, **options)
    order = rng.permutation(n)
    return Dataset(points[order], labels[order], tuple(str(c) for c in range(k)), name)


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise DataError(f"{what} must be a whole number, got {value!r}.")
    try:
        return operator.index(value)
    except TypeError:
        raise DataError(f"{what} must be a whole number, got {value!r}.") from None


def _seed(value: object) -> int:
    seed = _integer(value, "seed")
    if seed < 0:
        raise DataError(f"seed must be 0 or more, got {seed}.")
    return seed


def _real(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise DataError(f"{what} must be a number, got {value!r}.")
    result = float(value)
    if not math.isfinite(result):
        raise DataError(f"{what} must be finite, got {result}.")
    return result


# ---------------------------------------------------------------------------------------------
# CSV upload


def load_csv(data: bytes | str, name: str = "upload") -> Dataset:
    """Parse and validate an uploaded CSV of labelled points.

    Format: UTF-8 text (a BOM is dropped), comma-separated, fields may be quoted; three columns read by
    position as x1, x2, label. The first non-blank row is a header when neither of its first two fields
    is a number; a header may use any names. Blank rows (also ",,") are skipped. x1 and x2 must be
    finite decimal numbers within float32 range; a label is any non-empty text of at most
    MAX_LABEL_CHARS characters without control characters, and it is a class *name*: "1" and "1.0"
    are two classes. Classes are sorted numerically when every label is a number, else as strings,
    and y[i] is the index of row i's label in that order (so -1/1 map to 0/1).

    Limits: MAX_BYTES bytes, MAX_ROWS data rows, MIN_CLASSES..MAX_CLASSES classes. Any violation raises
    DataError whose message names the 1-based line (``.row``) and column (``.column``) where it applies.
    """
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    points: list[tuple[float, float]] = []
    label_ids: list[int] = []
    first_seen: dict[str, int] = {}
    had_header = False
    first_row = True
    try:
        for fields in reader:
            line = reader.line_num
            if all(not f.strip() for f in fields):
                continue
            if len(fields) != len(COLUMNS):
                raise DataError(_column_count_message(line, fields), row=line)
            if first_row:
                first_row = False
                if not _looks_numeric(fields[0]) and not _looks_numeric(fields[1]):
                    had_header = True
                    continue
            if len(points) == MAX_ROWS:
                raise DataError(f"The file has more than {MAX_ROWS:,} data rows; the limit is {MAX_ROWS:,}.")
            x1 = _coordinate(fields[0].strip(), line, "x1")
            x2 = _coordinate(fields[1].strip(), line, "x2")
            label = _label(_unquote(fields[2].strip()), line)
            if label not in first_seen:
                if len(first_seen) == MAX_CLASSES:
                    raise DataError(
                        f"Row {line}, column label: {_show(label)} would be class {MAX_CLASSES + 1}; "
                        f"at most {MAX_CLASSES} classes are supported.",
                        row=line,
                        column="label",
                    )
                first_seen[label] = len(first_seen)
            points.append((x1, x2))
            label_ids.append(first_seen[label])
    except csv.Error as exc:
        line = reader.line_num
        raise DataError(f"Row {line}: the CSV is malformed ({exc}).", row=line) from None
    if not points:
        raise DataError(f"The file has {'a header but ' if had_header else ''}no data rows.")
    if len(first_seen) < MIN_CLASSES:
        only = next(iter(first_seen))
        raise DataError(
            f"The file has only one class ({_show(only)}); at least {MIN_CLASSES} are needed.", column="label"
        )
    classes = _class_order(list(first_seen))
    position = {c: i for i, c in enumerate(classes)}
    remap = np.array([position[c] for c in first_seen], dtype=np.int64)
    return Dataset(np.array(points, dtype=np.float32), remap[np.array(label_ids)], tuple(classes), name)


def _decode(data: bytes | str) -> str:
    """The upload as text, size-checked before any parsing; refuses binary or non-UTF-8 content."""
    not_text = "This is not a text CSV file (it has NUL bytes or is not UTF-8); save it as CSV (UTF-8)."
    if isinstance(data, str):
        # Characters never outnumber UTF-8 bytes, so the cheap length test settles huge strings.
        size = len(data) if len(data) > MAX_BYTES else len(data.encode("utf-8", "surrogatepass"))
    elif isinstance(data, bytes | bytearray | memoryview):
        size = memoryview(data).nbytes
    else:
        raise TypeError(f"load_csv needs bytes or str, got {type(data).__name__}.")
    if size > MAX_BYTES:
        raise DataError(f"The file is larger than the limit of {MAX_BYTES:,} bytes (1 MB).")
    if size == 0:
        raise DataError("The file is empty.")
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(not_text) from None
    if "\x00" in text:
        raise DataError(not_text)
    return text.removeprefix("\ufeff")


def _column_count_message(line: int, fields: list[str]) -> str:
    message = f"Row {line}: expected 3 columns (x1, x2, label), found {len(fields)}."
    if len(fields) == 1:
        separator = next((s for s in (";", "\t", "|") if s in fields[0]), None)
        if separator is not None:
            message += f" The file seems to use {separator!r} between fields; use commas."
    return message


def _looks_numeric(text: str) -> bool:
    # Anything float() reads, nan and inf included, makes a row data, so "nan,1,a" is reported, not skipped.
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(text: str, limit: int = 30) -> str:
    """Quote a value from the file for a message, cut short: the file is untrusted and may be huge."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _coordinate(text: str, line: int, column: str) -> float:
    where = f"Row {line}, column {column}:"
    if not text:
        raise DataError(f"{where} the value is empty.", line, column)
    if not _NUMBER.fullmatch(text):
        if _looks_numeric(text) and not math.isfinite(float(text)):
            raise DataError(f"{where} {_show(text)} is not a finite number.", line, column)
        raise DataError(f"{where} {_show(text)} is not a number.", line, column)
    value = float(text)
    if not math.isfinite(value):
        raise DataError(f"{where} {_show(text)} is not a finite number.", line, column)
    # Judge by the float32 the value becomes, not the float64 text: float32's own maximum prints as
    # 3.4028235e+38, a hair above it in float64, and must read back.
    with np.errstate(over="ignore"):
        if not np.isfinite(np.float32(value)):
            raise DataError(f"{where} {_show(text)} is too large (the limit is ±3.4e38).", line, column)
    return value


def _label(text: str, line: int) -> str:
    where = f"Row {line}, column label:"
    if not text:
        raise DataError(f"{where} the label is empty.", line, "label")
    if len(text) > MAX_LABEL_CHARS:
        raise DataError(f"{where} the label is longer than {MAX_LABEL_CHARS} characters.", line, "label")
    if any(unicodedata.category(ch) in _BAD_LABEL_CATEGORIES for ch in text):
        raise DataError(f"{where} the label contains a control character.", line, "label")
    return text


def _class_order(labels: list[str]) -> list[str]:
    """Numeric order when every label is a finite number (so "2" < "10"), else string order."""
    values = [float(c) if _NUMBER.fullmatch(c) else math.nan for c in labels]
    if all(math.isfinite(v) for v in values):
        return [c for _, c in sorted(zip(values, labels, strict=True))]
    return sorted(labels)


def fit_to_view(data: Dataset, radius: float = 5.0) -> tuple[Dataset, float, np.ndarray]:
    """Scale and shift points so they fit in the square [-radius, radius]², if they don't.

    The trainer's view is [-6, 6]² (Playground's). An upload in other units (say, metres in the
    thousands) would be a dot or off the map, so it is mapped by x' = (x - c) · s with c the centre of
    the bounding box and s = radius / (half its largest side). Returns (data', s, c); data is returned
    unchanged (s = 1, c = 0) when it already lies within [-radius - 1, radius + 1]².
    """
    if len(data) == 0 or np.abs(data.x).max() <= radius + 1.0:
        return data, 1.0, np.zeros(2)
    lo, hi = data.x.min(axis=0).astype(np.float64), data.x.max(axis=0).astype(np.float64)
    centre = (lo + hi) / 2.0
    half = float(max((hi - lo).max() / 2.0, 1e-12))
    scale = radius / half
    moved = (data.x.astype(np.float64) - centre) * scale
    return Dataset(moved.astype(np.float32), data.y, data.classes, data.name), scale, centre
