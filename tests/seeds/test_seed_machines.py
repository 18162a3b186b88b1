"""The seed's machines driven through their interesting paths."""

from machines import auth, fetch, media_player, user
from statecharts import VirtualClock


def run(machine, *events):
    state = machine.initial_state()
    for e in events:
        state = machine.transition(state, e)
    return state


def test_fetch_retries_after_an_error_and_resets_from_success():
    m = fetch.machine
    assert run(m, "FETCH", "ERROR", "RETRY").value == "loading"
    assert run(m, "FETCH", "SUCCESS", "RESET").value == "idle"
    assert run(m, "FETCH", "SUCCESS", "FETCH").value == "loading"
    assert run(m, "SUCCESS").value == "idle"


def test_user_logout_leaves_any_nested_state_and_login_restarts_at_idle():
    m = user.machine
    s = run(m, "CHANGE_PASSWORD", "SAVE", "ERROR")
    assert s.value == {"authenticated": "error"}
    s = m.transition(s, "LOGOUT")
    assert s.value == "unauthenticated" and s.configuration == ("user", "user.unauthenticated")
    assert m.transition(s, "LOGIN").value == {"authenticated": "idle"}
    assert run(m, "EDIT_PROFILE", "SAVE", "ERROR", "RETRY", "SUCCESS").value == {"authenticated": "idle"}


def test_media_player_regions_change_independently():
    m = media_player.machine
    s = run(m, "PLAY", "MUTE", "FULLSCREEN", "PAUSE")
    assert s.value == {"playback": "paused", "volume": "muted", "fullscreen": "fullscreen"}
    s = run(m, "PLAY", "STOP", "UNMUTE", "EXIT_FULLSCREEN")
    assert s.value == {"playback": "stopped", "volume": "normal", "fullscreen": "windowed"}


def test_auth_succeeds_through_the_invoked_service():
    actor = auth.machine.interpret(clock=VirtualClock()).start()
    s = actor.send("LOGIN", username="ada", password="secret")
    assert s.value == "authenticated" and s.context["user"] == "ada" and s.context["retries"] == 0


def test_auth_retries_until_the_maximum_then_errors():
    actor = auth.machine.interpret(clock=VirtualClock()).start()
    for attempt in range(3):
        s = actor.send("LOGIN", username="eve", password="guess")
        assert s.value == "idle" and s.context["retries"] == attempt + 1
        assert "bad password" in s.context["error"]
    s = actor.send("LOGIN", username="eve", password="guess")
    assert s.value == "error" and s.context["retries"] == 3
    assert actor.send("RESET").context["retries"] == 0


def test_auth_accepts_a_real_service():
    calls = []

    def service(context, event):
        calls.append(event["username"])
        return "from-directory"

    actor = auth.make(service).interpret(clock=VirtualClock()).start()
    assert actor.send("LOGIN", username="bob").context["user"] == "from-directory" and calls == ["bob"]
