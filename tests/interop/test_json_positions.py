"""A chart mistake in a JSON chart file names its line: the reader that finds where each key is,
and the command line saying it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from statecharts import ConfigError, Machine
from statecharts.cli import main
from statecharts.interop.json_positions import error_position, key_positions

CHART = """\
{
  "id": "j",
  "initial": "a",
  "states": {
    "a": {
      "on": {
        "GO": {"target": "b"},
        "done.x": [
          "b",
          {"target": "a"}
        ]
      }
    },
    "b": {}
  }
}
"""


def test_the_reader_finds_each_key_and_item_as_json_reads_it() -> None:
    positions = key_positions(CHART)
    assert positions[("states",)] == (4, 3)
    assert positions[("states", "a", "on", "GO")] == (7, 9)
    assert positions[("states", "a", "on", "GO", "target")] == (7, 16)
    assert positions[("states", "a", "on", "done.x", 1)] == (10, 11)
    assert positions[("states", "b")] == (14, 5)

    # every key json.loads sees is found, and nothing else
    def paths(value: object, path: tuple[str | int, ...] = ()) -> set[tuple[str | int, ...]]:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        return {p for k, v in items for p in {(*path, k)} | paths(v, (*path, k))}

    assert set(positions) == paths(json.loads(CHART))
    # escapes, a key given twice (the last one counts, as for json.loads) and a key on a later line
    assert key_positions('{"a\\"b": 1, "c": 2,\n "c": {"d": []}}') == {
        ('a"b',): (1, 2),
        ("c",): (2, 2),
        ("c", "d"): (2, 8),
    }


@pytest.mark.parametrize(
    "path, key, position",
    [
        ("j.a", "on.GO.target", (7, 16)),
        ("j.a", "on.done.x[1].target", (10, 12)),  # an event name with a dot, a list item
        ("j.a", "on.done.x[1].guard", (10, 11)),  # no guard in the file: the deepest key found
        ("j.a", "on.GO.nothing", (7, 9)),
        ("j.b", "initial", (14, 5)),
        ("j", "initial", (3, 3)),
        ("j.zz", "on", None),  # no such state under the root: no line
        ("other.a", "on", None),
        (None, "guards", None),
    ],
)
def test_an_error_maps_to_the_deepest_key_its_path_reaches(
    path: str | None, key: str, position: tuple[int, int] | None
) -> None:
    assert error_position(CHART, ConfigError("wrong", path=path, key=key)) == position


def check_file(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "chart.json"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    return capsys.readouterr().err


def test_an_unknown_target_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = check_file(tmp_path, CHART.replace('"target": "b"', '"target": "c"'), capsys)
    assert "chart.json: line 7, column 16: j.a: on.GO.target: unknown target 'c'" in err


def test_every_mistake_in_several_states_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = CHART.replace('"target": "b"', '"target": "c"').replace('"b": {}', '"b": {\n      "entry": "nope"\n    }')
    err = check_file(tmp_path, text, capsys)
    assert "chart.json: line 7, column 16: j.a: on.GO.target: unknown target 'c'" in err
    assert "  also " in err and "chart.json: line 15, column 7: j.b: entry: unknown action 'nope'" in err


def test_a_misspelt_transition_key_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = check_file(tmp_path, CHART.replace('{"target": "a"}', '{"tagret": "a"}'), capsys)
    assert "chart.json: line 10, column 12: j.a: on.done.x[1].tagret: unknown transition key 'tagret'" in err


def test_an_unknown_state_key_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = check_file(tmp_path, CHART.replace('"b": {}', '"b": {\n      "entyr": []\n    }'), capsys)
    assert "chart.json: line 15, column 7: j.b: entyr: unknown key 'entyr'" in err


def test_a_bad_state_name_names_the_line_of_its_states(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = check_file(tmp_path, CHART.replace('"b": {}', '"b.c": {}'), capsys)
    assert "chart.json: line 4, column 3: j: states: state key 'b.c'" in err


def test_an_error_no_key_maps_to_keeps_its_message(tmp_path: Path) -> None:
    path = tmp_path / "chart.json"
    path.write_text('{"id": "j", "states": {"a": {}, "b": {}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"chart\.json: j: initial: missing 'initial'") as caught:
        Machine.from_json(path)
    assert "line" not in str(caught.value)


def test_json_text_names_the_line_as_python_names_a_string() -> None:
    text = textwrap.dedent(CHART.replace('"target": "b"', '"target": "c"'))
    with pytest.raises(ConfigError) as caught:
        Machine.from_json(text)
    assert str(caught.value) == "<string>: line 7, column 16: j.a: on.GO.target: unknown target 'c'"
    with pytest.raises(ConfigError) as caught:
        Machine.from_json(textwrap.dedent(CHART.replace('"b": {}', '"b": {\n      "entyr": []\n    }')))
    assert str(caught.value).startswith("<string>: line 15, column 7: j.b: entyr:")


def test_json_text_an_error_no_key_maps_to_keeps_its_message() -> None:
    with pytest.raises(ConfigError) as caught:
        Machine.from_json('{"id": "j", "states": {"a": {}, "b": {}}}')
    assert str(caught.value) == "j: initial: missing 'initial' (one of a, b)"
