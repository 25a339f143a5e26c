"""Package-wide promises: one thread for torch and BLAS, and an engine that never imports streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import torch
from threadpoolctl import threadpool_info

import relu_viz

ENGINE = Path(relu_viz.__file__).parent


def test_one_thread_for_torch_and_blas():
    assert torch.get_num_threads() == 1
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)


def test_engine_never_imports_streamlit():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        if "ui" in path.relative_to(ENGINE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(ENGINE)))
    assert not offenders, f"engine modules importing streamlit: {offenders}"
