"""The pack's JMESPath expressions are compiled into closures (``engine.pack.expressions.compile_expression``) that must
give what jmespath's own interpreter gives, or raise the error it raises, for every value: checked here against
``jmespath.search`` over generated documents, for each node kind the compiler handles itself (fields, field paths,
``||``, ``&&``, ``!``, ``==``/``!=``, ``not_null``, ``length``) and one it leaves to jmespath."""

from __future__ import annotations

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.pack.expressions import compile_expression

EXPRESSIONS = [
    "a",
    "a.b.c",
    "a || b",
    "a && b",
    "!a",
    "a == b",
    "a != `1`",
    "a == `0`",
    "a == `true`",
    "!a.b",
    "not_null(a.b, b, `3`)",
    "length(a)",
    "length(a.b || `[]`) == `1`",
    "length(a) && b",
    "to_number(a)",  # called through jmespath's function table
    "a[0]",  # left to jmespath's interpreter
]

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False, width=16), st.sampled_from(["", "x", "é1"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_DOCUMENTS = st.dictionaries(st.sampled_from(["a", "b", "c"]), _VALUES, max_size=3)


@pytest.mark.parametrize("text", EXPRESSIONS)
@settings(max_examples=200, deadline=None)
@given(document=_DOCUMENTS)
def test_a_compiled_expression_gives_what_jmespath_gives(text: str, document: dict) -> None:
    parsed = jmespath.compile(text)
    compiled = compile_expression(parsed.parsed)
    try:
        expected = parsed.search(document)
    except jmespath.exceptions.JMESPathError as error:
        with pytest.raises(type(error)):
            compiled(document)
        return
    found = compiled(document)
    assert found == expected
    assert type(found) is type(expected)
