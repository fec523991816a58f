"""The per-call shortcuts fanout takes with botocore change nothing on the wire.

Each shortcut is checked against the library code it stands in for: botocore's User-Agent builder and
urllib's urlencode (what botocore sends as a query-protocol body).
"""

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from fanout.aws import form_encode, sync_client


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=80), min_size=1, max_size=8))
def test_form_body_is_what_urlencode_sends(params: dict[str, str]) -> None:
    expected = urlencode([(key.encode(), value.encode()) for key, value in params.items()], doseq=True)
    assert form_encode(params) == expected


def test_cached_user_agent_is_the_one_botocore_builds(fanout_endpoint: str) -> None:
    from botocore.useragent import UserAgentString

    sqs = sync_client("sqs")
    creator = sqs._user_agent_creator  # type: ignore[attr-defined]
    built = UserAgentString.to_string(creator)  # the class's own method, bypassing the cache
    assert creator.to_string() == built
    assert creator.to_string() == built  # served from the cache the second time
    sqs.list_queues()  # a real call through the cached header works


def test_form_body_with_many_distinct_escaped_bytes_is_what_urlencode_sends() -> None:
    # past the threshold of per-byte replaces the encoder switches to one translate
    params = {"Message": "".join(chr(code) for code in range(0x20, 0x800, 7)) + " +%", "Id": "a b+c"}
    expected = urlencode([(key.encode(), value.encode()) for key, value in params.items()], doseq=True)
    assert form_encode(params) == expected
