"""The README's notebook example runs as written and draws the regions of a freshly built network."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

README = Path(__file__).resolve().parents[2] / "README.md"


def notebook_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "regions.partition" in b)


def test_readme_notebook_example_draws_regions(monkeypatch):
    shown: list[go.Figure] = []
    monkeypatch.setattr(go.Figure, "show", lambda self, *a, **k: shown.append(self))
    namespace: dict = {}
    exec(compile(notebook_example(), "README.md", "exec"), namespace)  # our own README, not user text
    part = namespace["part"]
    assert part.n_linear_regions > 10 and not part.truncated
    (fig,) = shown
    assert len(fig.data) == 2 and len(fig.data[0].x) > part.n_activation_regions
