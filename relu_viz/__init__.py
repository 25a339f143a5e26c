"""relu_viz: the engine behind the relu-viz app, usable on its own from a notebook.

Plain Python, numpy and torch; it never imports streamlit (only ``relu_viz.ui`` does).
One server serves a whole classroom on two cores, so torch is held to one intra-op thread:
a second thread per session would only make 30 sessions fight over the same two cores.
"""

import torch

torch.set_num_threads(1)

__version__ = "0.1.0"
