"""How fast each live session may redraw and train, given how many are live on this server.

Three kinds of work share the machine while a class trains:

- map frames, drawn in helper processes (:mod:`relu_viz.render_pool`), ``frame_seconds`` each (about
  20 ms for the default network), on ``drawing_cores`` cores;
- Streamlit's own work in the server process: sending each frame, and sending the numbers and the
  loss curves' picture (drawn in the helpers too; about ``CURVES_SECONDS`` of server time);
- training, in the server process too, in turns of the process-wide scheduler (:mod:`relu_viz.worker`).

With ``n`` sessions live, frames cost n · frame_seconds / interval core-seconds per second. The pace
keeps that within ``DRAW_SHARE`` of the drawing cores by stretching the interval from 0.2 s (5 frames
a second) for a few sessions to at most ``FRAME_LADDER[-1]`` (2.5 a second) for a class, and spaces
the curves the same way. Training gets what Streamlit leaves of the server process: the scheduler's
duty falls from 0.8 towards ``MIN_DUTY``, and its slice shrinks so that each session still gets about
``TURNS_PER_SECOND`` turns a second (a map shows news only if its weights changed). Intervals are
rounded up to a short ladder, so a class that grows by one student does not change every page's pace.

Measured on 2 cores with 30 sessions of the default trainer: see ``bench/classroom_load.py`` and the
README's capacity statement.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAW_SHARE = 0.7  # the share of the drawing cores the frames may take together
SEND_SECONDS = 0.008  # server-process time per frame: snapshot, job, picture message
CURVES_SECONDS = 0.015  # server-process time of one redraw of the metrics and the loss curves
CURVES_SHARE = 0.15  # the share of the server process the numbers and curves may take
RESERVE = 0.2  # the share of the server process kept free for clicks and page loads
FRAME_LADDER = (0.2, 0.25, 0.3, 0.4)  # seconds between map frames; the last is the slowest pace
CURVES_LADDER = (1.0, 1.5, 2.0, 3.0)
MAX_DUTY = 0.8
MIN_DUTY = 0.2
SLICE_SECONDS = 0.010  # one training turn for a few sessions
MIN_SLICE_SECONDS = 0.001
TURNS_PER_SECOND = 8.0  # turns a session should get a second: more than its frames, so each has news


@dataclass(frozen=True)
class Pace:
    """What one live session may do: redraw the map every ``frame_interval`` seconds, the numbers and
    curves every ``curves_interval`` seconds, and train in turns of ``slice_seconds`` for at most
    ``train_duty`` of the time it holds the scheduler's slot (the rest of each turn it rests, leaving
    the GIL to the server)."""

    frame_interval: float
    curves_interval: float
    train_duty: float
    slice_seconds: float = SLICE_SECONDS


def _on_ladder(seconds: float, ladder: tuple[float, ...]) -> float:
    """The first rung at least ``seconds``, or the last rung."""
    return next((rung for rung in ladder if rung >= seconds - 1e-9), ladder[-1])


def pace_for(sessions: int, frame_seconds: float = 0.02, drawing_cores: float = 1.0) -> Pace:
    """The pace of every live session when ``sessions`` are live (0 counts as 1).

    frame interval = n · frame_seconds / (DRAW_SHARE · drawing_cores) on FRAME_LADDER; curves interval
    = n · CURVES_SECONDS / CURVES_SHARE on CURVES_LADDER; training duty = 1 − RESERVE − (the share of
    the server process that sending frames and curves then takes), clipped to [MIN_DUTY, MAX_DUTY];
    training slice = duty / (n · TURNS_PER_SECOND), clipped to [MIN_SLICE_SECONDS, SLICE_SECONDS].
    """
    n = max(1, int(sessions))
    cores = max(drawing_cores, 0.5)
    frame = _on_ladder(n * max(frame_seconds, 0.0) / (DRAW_SHARE * cores), FRAME_LADDER)
    curves = _on_ladder(n * CURVES_SECONDS / CURVES_SHARE, CURVES_LADDER)
    serving = n * (SEND_SECONDS / frame + CURVES_SECONDS / curves)
    duty = min(MAX_DUTY, max(MIN_DUTY, 1.0 - RESERVE - serving))
    # n sessions taking turns of slice/duty seconds each get 1/(n·slice/duty) turns a second
    slice_seconds = min(SLICE_SECONDS, max(MIN_SLICE_SECONDS, duty / (n * TURNS_PER_SECOND)))
    return Pace(frame, curves, duty, slice_seconds)
