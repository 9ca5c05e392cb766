"""Every recorded 4.0.2.3 and 3.0.4.1 exchange replayed in process against the oc40/oc30 fronts.

Each dialect's transcripts run in recording order on one sandbox over its reference store
(``oc40`` / ``oc30``), the store changes the recordings made behind the API replayed as
events. Comparison rules: :mod:`token_replay`.
"""

from __future__ import annotations

import pytest
from token_replay import assert_same_answer, in_process, load

OC40 = load("oc40")
OC30 = load("oc30")
#: exchanges the built-in store files cannot answer yet (the lead removes a mark once the data is there)
NEEDS_CATALOG = {
    "oc40": {"001-country-222", "002-country-223"},
    "oc30": set(),
}
# 4.0 answers a country with the text of its oc_address_format row, which the recordings' CSV
# exports do not include (3.0 keeps the text on the country row, and that is packaged)
_REASON = "4.0's oc_address_format texts are not in the packaged install data"


def _cases(dialect, exchanges):
    return [pytest.param(ex.name, marks=pytest.mark.xfail(strict=True, reason=_REASON))
            if ex.name in NEEDS_CATALOG[dialect] else ex.name for ex in exchanges]


@pytest.fixture(scope="module")
def oc40():
    return in_process("oc40").run(OC40)


@pytest.fixture(scope="module")
def oc30():
    return in_process("oc30").run(OC30)


def test_every_transcript_is_replayed():
    assert len(OC40) == 287 and len(OC30) == 306


@pytest.mark.parametrize("name", _cases("oc40", OC40))
def test_oc40_answers_as_recorded(oc40, name):
    assert_same_answer(oc40, name)


@pytest.mark.parametrize("name", _cases("oc30", OC30))
def test_oc30_answers_as_recorded(oc30, name):
    assert_same_answer(oc30, name)
