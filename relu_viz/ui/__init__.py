"""The only part of relu_viz that imports streamlit: shared widgets and session helpers for the pages."""

from relu_viz.ui import message_queue

# before any page runs: every page imports this package (see message_queue for the Streamlit race)
message_queue.make_thread_safe()
