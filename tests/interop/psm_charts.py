"""python-statemachine versions of charts for the interop tests (not product code).

``MediaPlayer`` is the seed's media player (three orthogonal regions) in python-statemachine's
class syntax; the leaf ``fullscreen`` is called ``full_screen`` there because python-statemachine
state ids are flat and the region already has that name. ``Features`` exercises the rest of what
the adapter carries over: nesting, deep history, eventless and guarded transitions (names and
expressions), callbacks that update the model, and a final state.
"""

from __future__ import annotations

from statemachine import HistoryState, State, StateChart


class MediaPlayer(StateChart):
    """The seed's media player."""

    class player(State.Parallel):
        class playback(State.Compound):
            stopped = State(initial=True)
            playing = State()
            paused = State()
            PLAY = stopped.to(playing) | paused.to(playing)
            PAUSE = playing.to(paused)
            STOP = playing.to(stopped) | paused.to(stopped)

        class volume(State.Compound):
            normal = State(initial=True)
            muted = State()
            MUTE = normal.to(muted)
            UNMUTE = muted.to(normal)

        class fullscreen(State.Compound):
            windowed = State(initial=True)
            full_screen = State()
            FULLSCREEN = windowed.to(full_screen)
            EXIT_FULLSCREEN = full_screen.to(windowed)


class Features(StateChart):
    """Nesting, deep history, guards as names and expressions, eventless, callbacks, final."""

    count = 0
    limit = 3
    allowed = True

    class work(State.Compound):
        idle = State(initial=True)

        class busy(State.Compound):
            step1 = State(initial=True)
            step2 = State()
            advance = step1.to(step2)
            rewind = step2.to(step1)

        h = HistoryState(type="deep")
        start = idle.to(busy, cond="allowed and not saturated", on="bump")
        pause = busy.to(idle)

    paused = State()
    done = State(final=True)
    suspend = work.to(paused)
    wake = paused.to(work.h)
    lock = paused.to.itself(on="flip")
    paused.to(done, cond="saturated and not allowed")

    def saturated(self) -> bool:
        return bool(self.count >= self.limit)

    def bump(self) -> None:
        self.count += 1

    def flip(self) -> None:
        self.allowed = not self.allowed
