"""The per-call shortcuts fanout takes with botocore change nothing on the wire, and the e-mail fast path
accepts and normalizes exactly what pydantic's EmailStr does.

Each shortcut is checked against the library code it stands in for: botocore's User-Agent builder,
urllib's urlencode (what botocore sends as a query-protocol body), email-validator.
"""

import string
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr

from fanout.aws import form_encode, sync_client
from fanout.contract.email import Email, plain_address

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
LABEL = string.ascii_letters + string.digits + "-"
EMAIL = TypeAdapter(Email)
EMAIL_STR = TypeAdapter(EmailStr)


def _outcome(adapter: TypeAdapter[str], value: str) -> str | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


addresses = st.builds(
    lambda local, labels, tld, noise: (
        noise.join([local, "@", ".".join([*labels, tld])]) if noise else f"{local}@{'.'.join([*labels, tld])}"
    ),
    st.lists(st.text(ATEXT, min_size=1, max_size=12), min_size=1, max_size=3).map(".".join),
    st.lists(st.text(LABEL, min_size=1, max_size=12), min_size=1, max_size=3),
    st.sampled_from(
        ["com", "org", "IO", "test", "local", "arpa", "onion", "xn--p1ai", "c", "co1", "example"]
    ),
    st.sampled_from(["", "", "", " ", ".", "é"]),
)


@settings(max_examples=400, deadline=None)
@given(addresses)
def test_email_field_agrees_with_email_str(value: str) -> None:
    assert _outcome(EMAIL, value) == _outcome(EMAIL_STR, value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_email_field_agrees_with_email_str_on_any_text(value: str) -> None:
    assert _outcome(EMAIL, value) == _outcome(EMAIL_STR, value)


def test_fast_path_takes_plain_addresses_and_leaves_the_rest() -> None:
    assert plain_address("Ann.Lee+orders@Mail.Example.COM") == "Ann.Lee+orders@mail.example.com"
    for hard in (
        "ann@bücher.de",
        '"a b"@example.com',
        "Ann <ann@example.com>",
        "a@host.test",
        "a@xn--p1ai.ru",
    ):
        assert plain_address(hard) is None, hard
    assert EMAIL.json_schema() == {"type": "string", "format": "email"}


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
