"""The browser's geometry and drawing code, as plain ES modules kept in this package (no npm, no CDN).

Each ``.js`` file here is an ES module that imports its siblings only through one-line relative imports,
``import { a, b } from "./forward.js";``. :func:`bundle` turns a list of them into ONE module string:
the files are read in the given order, every such relative-import line is dropped, and the rest is
concatenated (``export`` keywords are kept). That string is what the Streamlit component receives as
inline JS and what the browser tests import. Since the files share one scope once concatenated, every
top-level name must be unique across all files (private helpers carry a per-file prefix: ``fw_``,
``pt_``, ...), and a file must come after the files it imports.

Pure Python: never imports streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

JS_DIR = Path(__file__).parent

_RELATIVE_IMPORT = re.compile(r"""^\s*import\s*\{[^}]*\}\s*from\s*["']\./[^"']+["']\s*;?\s*$""")


def bundle(names: Sequence[str], directory: Path = JS_DIR) -> str:
    """One ES module: the named files of ``directory`` (:data:`JS_DIR`), in order, without their
    relative-import lines."""
    parts = []
    for name in names:
        text = (Path(directory) / name).read_text(encoding="utf-8")
        kept = [line for line in text.splitlines() if not _RELATIVE_IMPORT.match(line)]
        parts.append(f"// ---- {name} ----\n" + "\n".join(kept) + "\n")
    return "\n".join(parts)
