"""relu_viz: the engine behind the relu-viz app, usable on its own from a notebook.

Plain Python, numpy and torch; it never imports streamlit (only ``relu_viz.ui`` does).
One server serves a whole classroom on two cores, so torch and numpy's BLAS are held to one thread
each: a second thread per session would only make 30 sessions fight over the same two cores, and
OpenBLAS's own thread pool makes the small matrix products here up to 10x slower under load.
"""

import torch
from threadpoolctl import threadpool_limits

torch.set_num_threads(1)
threadpool_limits(limits=1, user_api="blas")

__version__ = "0.1.0"
