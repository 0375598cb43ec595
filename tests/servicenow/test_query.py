"""The shared encoded-query grammar: read as ServiceNow reads it, built so it cannot widen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicenow.errors import InvalidRequest, UnsafeQueryValue
from servicenow.query import (
    LIST_OPERATORS,
    UNARY,
    Operator,
    OrderBy,
    ParsedQuery,
    Query,
    Term,
    parse,
    unsafe_reason,
)

FIELDS = st.from_regex(r"[a-z0-9_]{1,12}(\.[a-z0-9_]{1,12}){0,2}", fullmatch=True)
VALUES = st.text(max_size=40)
LIST_ITEMS = st.lists(st.text(max_size=12), min_size=1, max_size=4)
BINARY = [op for op in Operator if op not in UNARY and op not in LIST_OPERATORS]


def _single(parsed: ParsedQuery) -> Term:
    """The one term of a query that must not have been widened."""
    assert parsed.order_by == ()
    assert len(parsed.queries) == 1, "an NQ appeared"
    (query,) = parsed.queries
    assert len(query) == 1, "more than one term"
    (group,) = query
    assert len(group) == 1, "an OR appeared"
    return group[0]


def _try_where(field: str, op: Operator, value: str | list[str]) -> Query | None:
    try:
        return Query().where(field, op, value)
    except UnsafeQueryValue:
        return None


@given(FIELDS, st.sampled_from(BINARY), VALUES)
def test_accepted_binary_values_round_trip_without_widening(field: str, op: Operator, value: str):
    query = _try_where(field, op, value)
    if query is None:
        return
    assert _single(parse(query.encode())) == Term(field, op, value)


@given(FIELDS, st.sampled_from(sorted(LIST_OPERATORS)), LIST_ITEMS)
def test_accepted_lists_round_trip_without_widening(field: str, op: Operator, items: list[str]):
    query = _try_where(field, op, items)
    if query is None:
        return
    assert _single(parse(query.encode())) == Term(field, op, ",".join(items))


@given(FIELDS, st.sampled_from(sorted(UNARY)))
def test_unary_operators_round_trip(field: str, op: Operator):
    assert _single(parse(Query().where(field, op).encode())) == Term(field, op)


@given(VALUES.map(lambda text: "x^NQ" + text + "^ORa=1^ORDERBYb"))
def test_widening_payloads_are_always_refused(value: str):
    with pytest.raises(UnsafeQueryValue):
        Query().where("caller_id", "=", value)


@given(st.text(alphabet="abc^=!<>LIKEORNQDESC123,@.", max_size=30))
def test_parse_never_raises(encoded: str):
    assert isinstance(parse(encoded), ParsedQuery)


def test_plain_values_are_accepted_and_encoded():
    query = (
        Query()
        .where("caller_id.email", "=", "abel.tuter@example.com".replace("@", "_at_"))
        .where("active", Operator.EQ, "true")
        .order_by("sys_updated_on", descending=True)
    )
    assert query.encode() == (
        "caller_id.email=abel.tuter_at_example.com^active=true^ORDERBYDESCsys_updated_on"
    )


def test_or_where_joins_with_the_previous_term():
    query = (
        Query().where("state", "=", "1").or_where("state", "=", "2").where("active", "=", "true")
    )
    assert query.encode() == "state=1^ORstate=2^active=true"
    assert parse(query.encode()).queries == (
        (
            (Term("state", Operator.EQ, "1"), Term("state", Operator.EQ, "2")),
            (Term("active", Operator.EQ, "true"),),
        ),
    )


def test_or_where_without_a_term_is_an_error():
    with pytest.raises(InvalidRequest):
        Query().or_where("state", "=", "1")


def test_in_takes_a_sequence_and_encodes_it_comma_joined():
    assert Query().where("state", "IN", ["1", "2", "3"]).encode() == "stateIN1,2,3"
    assert Query().where("state", Operator.NOT_IN, ("6", "7")).encode() == "stateNOT IN6,7"


def test_builder_is_immutable():
    base = Query().where("active", "=", "true")
    base.where("state", "=", "1")
    assert base.encode() == "active=true"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc^ORcaller_id!=x", "'^'"),
        ("line\nbreak", "control"),
        ("carriage\rreturn", "control"),
        ("nul\x00", "control"),
        ("tab\there", "control"),
        ("JavaScript:gs.getUserID()", "javascript"),
        ("  javascript:alert(1)", "javascript"),
        ("x123TEXTQUERY321=y", "text-search"),
        ("1@2", "'@'"),
    ],
)
def test_unsafe_values_are_refused_naming_the_field(value: str, reason: str):
    with pytest.raises(UnsafeQueryValue) as caught:
        Query().where("short_description", "LIKE", value)
    message = str(caught.value)
    assert "short_description" in message
    assert reason.lower() in message.lower()


def test_huge_values_are_not_echoed():
    with pytest.raises(UnsafeQueryValue) as caught:
        Query().where("description", "=", "A" * 10_000 + "^")
    assert "AAAA" not in str(caught.value)
    assert len(str(caught.value)) < 200


def test_a_comma_inside_a_list_value_is_refused():
    with pytest.raises(UnsafeQueryValue, match="comma"):
        Query().where("number", "IN", ["INC1", "INC2,INC3"])
    with pytest.raises(UnsafeQueryValue, match="comma"):
        Query().where("number", "IN", "INC2,INC3")


@pytest.mark.parametrize(
    "field",
    ["Caller_id", "caller id", "caller_id^ORactive", "", "a..b", ".a", "123TEXTQUERY321", "a-b"],
)
def test_invalid_field_names_are_refused(field: str):
    with pytest.raises(UnsafeQueryValue):
        Query().where(field, "=", "x")
    with pytest.raises(UnsafeQueryValue):
        Query().order_by(field)


def test_custom_and_dot_walked_fields_are_allowed():
    assert Query().where("u_employee_id", "=", "42").encode() == "u_employee_id=42"
    assert Query().order_by("caller_id.name").encode() == "ORDERBYcaller_id.name"


def test_unknown_operators_and_misuse_are_refused():
    with pytest.raises(UnsafeQueryValue):
        Query().where("impact", "BETWEEN", "1")
    with pytest.raises(UnsafeQueryValue):
        Query().where("active", "ISEMPTY", "x")
    with pytest.raises(UnsafeQueryValue):
        Query().where("active", "=", ["a", "b"])
    with pytest.raises(UnsafeQueryValue):
        Query().where("state", "IN", [])


def test_empty_values_need_isempty():
    with pytest.raises(UnsafeQueryValue, match="ISEMPTY"):
        Query().where("caller_id", "=", "")


def test_a_value_that_would_change_the_operator_is_refused():
    with pytest.raises(UnsafeQueryValue):
        Query().where("priority", "<", "=1")


def test_unsafe_reason_accepts_ordinary_text():
    assert unsafe_reason("My laptop won't start (again) = 100% broken, ok?") is None


class TestParse:
    """ServiceNow's reading of encoded queries, quirks included."""

    def test_and_or_and_new_query_precedence(self):
        parsed = parse("a=1^ORa=2^b=3^NQc=4")
        assert parsed.queries == (
            (
                (Term("a", Operator.EQ, "1"), Term("a", Operator.EQ, "2")),
                (Term("b", Operator.EQ, "3"),),
            ),
            ((Term("c", Operator.EQ, "4"),),),
        )

    def test_order_terms(self):
        parsed = parse("active=true^ORDERBYDESCsys_updated_on^ORDERBYnumber")
        assert parsed.order_by == (OrderBy("sys_updated_on", True), OrderBy("number"))

    def test_every_operator_is_read(self):
        for op in Operator:
            value = "" if op in UNARY else "v"
            assert parse(f"field{op.value}{value}").queries == (((Term("field", op, value),),),)

    def test_spaced_operators(self):
        assert parse("short_descriptionNOT LIKESAP").queries[0][0][0] == Term(
            "short_description", Operator.NOT_LIKE, "SAP"
        )
        assert parse("subcategoryNOT INdb2,sql server").queries[0][0][0] == Term(
            "subcategory", Operator.NOT_IN, "db2,sql server"
        )

    def test_invalid_terms_are_dropped_not_raised(self):
        parsed = parse("impactBETWEEN1@2^active=true^123TEXTQUERY321=x^^EQ^Bad=1")
        assert parsed.queries == (((Term("active", Operator.EQ, "true"),),),)

    def test_a_caret_inside_a_value_ends_it_as_servicenow_does(self):
        parsed = parse("short_description=a^ORcaller_id!=x")
        assert len(parsed.queries[0][0]) == 2

    def test_equals_inside_a_value_is_kept(self):
        assert parse("description==x=y").queries[0][0][0] == Term(
            "description", Operator.EQ, "=x=y"
        )

    def test_empty_query(self):
        assert parse("") == ParsedQuery(queries=(), order_by=())
