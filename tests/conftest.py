"""Test-wide settings.

Hypothesis runs derandomized by default, so CI sees the same examples every run and a red build
always means a change broke something. ``HYPOTHESIS_PROFILE=explore`` draws fresh, more numerous
examples to hunt for new counterexamples (and pins what it finds as explicit tests).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
