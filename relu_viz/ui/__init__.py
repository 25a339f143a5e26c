"""The only part of relu_viz that imports streamlit: shared widgets and session helpers for the pages."""

import sys

from relu_viz.ui import message_queue

# before any page runs: every page imports this package (see message_queue for the Streamlit race)
message_queue.make_thread_safe()

# A thread that wants the GIL waits for the holder's switch interval (5 ms by default). Training
# threads hold it in short numpy steps, and a live page's frame loop needs it a few times per frame
# (wake-up, build, send): at 5 ms a wait, one student saw 15 frames a second instead of 25. 1 ms
# costs training a handful of extra hand-overs a millisecond, each a few microseconds.
SWITCH_INTERVAL = 0.001
sys.setswitchinterval(SWITCH_INTERVAL)
