"""The recorded 4.0.2.3 and 3.0.4.1 exchanges replayed over HTTP against ``serve(store=…)``.

The server picks the fronts from the store (``oc40`` -> the 4.0 front, ``oc30`` -> the 3.0
front); requests go out as recorded (form bodies, a JSON body, a multipart upload, cookies)
and answers are compared by :func:`token_replay.assert_same_answer`, exchange by exchange
in recording order (those waiting for catalog data are skipped here: the in-process
replay marks them).
"""

from __future__ import annotations

import pytest
from test_token_front_replay import NEEDS_CATALOG
from token_replay import KEY, assert_same_answer, load, over_http

from ocdata.sandbox.server import serve


@pytest.mark.parametrize("dialect", ["oc40", "oc30"])
def test_recorded_exchanges_answer_the_same_over_http(dialect):
    with serve(store=dialect, username="Default", key=KEY) as sandbox:
        assert sandbox.dialects == (dialect,)
        replay = over_http(dialect, sandbox)
        for ex in load(dialect):
            replay.send(ex)
            if ex.name not in NEEDS_CATALOG[dialect]:
                assert_same_answer(replay, ex.name)
