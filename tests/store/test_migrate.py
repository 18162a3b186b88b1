"""``statecharts migrate check``: stored actors that no longer restore against the current chart."""

import subprocess
import sys
import textwrap
from pathlib import Path

from statecharts import Machine, VirtualClock, assign, send_to
from statecharts.cli import main
from statecharts.store import open_store

V1 = {
    "id": "shop",
    "context": {"total": 0, "note": ""},
    "initial": "cart",
    "states": {
        "cart": {"on": {"ADD": {"actions": assign(total=lambda c, e: c["total"] + 1)}, "SHIP": "shipping"}},
        "shipping": {"on": {"ARRIVE": "done"}},
        "done": {},
    },
}

V2 = textwrap.dedent("""
    from statecharts import Machine

    def chart(note_type="str"):
        note = "" if note_type == "str" else 0
        return Machine({"id": "shop", "context": {"total": 0, "note": note}, "initial": "cart", "states": {
            "cart": {"on": {"SEND": "sent"}}, "sent": {"on": {"ARRIVE": "done"}}, "done": {}}})
""")


def stored_shops(url: str) -> None:
    m = Machine(V1)
    for actor_id, events in {"shop-1": ["ADD"], "shop-2": ["SHIP"], "shop-3": ["SHIP", "ARRIVE"]}.items():
        with m.interpret(store=open_store(url), id=actor_id, clock=VirtualClock()) as actor:
            for event in events:
                actor.send(event)
    other = Machine({"id": "invoice", "initial": "a", "states": {"a": {}}})
    other.interpret(store=open_store(url), id="inv-1", clock=VirtualClock()).start().stop()


def test_migrate_check_reports_actors_in_a_state_that_is_gone_and_exits_1(store_url, tmp_path, monkeypatch, capsys):
    stored_shops(store_url)
    (tmp_path / "shop_v2.py").write_text(V2)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["migrate", "check", "shop_v2:chart", "--store", store_url]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0] == "shop-2: snapshot configuration: no state 'shop.shipping' in machine 'shop'"
    assert out[-1] == "3 actors of machine 'shop' checked: 1 no longer restore; 1 of other machines skipped"
    assert main(["migrate", "check", "shop_v2:chart", "-p", "note_type=int", "--store", store_url]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "shop-1: context key 'note' holds str, the chart's holds int" in out
    assert out[-1] == "3 actors of machine 'shop' checked: 3 no longer restore; 1 of other machines skipped"


def test_migrate_check_passes_when_every_actor_restores_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'shops.db'}"
    stored_shops(url)
    module = tmp_path / "shop_same.py"
    module.write_text(
        "from tests.store.test_migrate import V1\nfrom statecharts import Machine\nmachine = Machine(V1)\n"
    )
    command = ["migrate", "check", "shop_same:machine", "--store", url]
    done = subprocess.run(
        [sys.executable, "-m", "statecharts", *command],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        env={"PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[2]}", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "3 actors of machine 'shop' checked: all restore; 1 of other machines skipped\n"


def test_migrate_check_restores_the_children_of_a_stored_actor_tree(tmp_path):
    import asyncio

    from statecharts.store.migrate import check_records

    def parent(child_states: dict) -> Machine:
        child = Machine({"id": "packer", "initial": "idle", "states": child_states})
        return Machine(
            {
                "id": "order",
                "initial": "open",
                "states": {
                    "open": {
                        "invoke": {"src": "packer", "id": "pack"},
                        "on": {"PACK": {"actions": send_to("pack", "GO")}},
                    }
                },
            },
            services={"packer": child},
        )

    before = parent({"idle": {"on": {"GO": "packing"}}, "packing": {}})
    url = f"sqlite:///{tmp_path / 'orders.db'}"

    async def store_one() -> None:
        async with before.interpret_async(store=open_store(url), id="o-1", clock=VirtualClock()) as actor:
            await actor.send("PACK")

    asyncio.run(store_one())
    assert check_records(before, open_store(url).records()).ok
    after = parent({"idle": {"on": {"GO": "boxing"}}, "boxing": {}})
    report = check_records(after, open_store(url).records())
    assert report.broken == [("o-1", "snapshot configuration: no state 'packer.packing' in machine 'packer'")]


def test_migrate_check_of_a_sqlite_file_that_is_not_there_is_an_error_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    assert main(["migrate", "check", "machines.counter", "--store", f"sqlite:///{missing}"]) == 2
    assert f"no such file '{missing}'" in capsys.readouterr().err
    assert not missing.exists()
