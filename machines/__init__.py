"""Example and flagship charts; each module builds its machine with `statecharts` only."""
