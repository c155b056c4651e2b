"""The SQL of a query built the same way on every request, compiled once per shape.

Django builds and compiles a queryset's SQL anew each time it runs it, and for the few
queries every page makes that work costs more CPU than PostgreSQL spends answering them (a
UNION of four parts with subqueries: over a millisecond). Where only the *values* change
from one request to the next — which stories, what time it is — the SQL stays the same, so
``sql_with_params()`` builds the query once per shape (the number of values in each list and
the database alias), with stand-in values, and afterwards only puts the request's values in
their places among the parameters.

Where each value goes is found by building the query twice with two different sets of
stand-ins: the SQL must come out the same and every parameter must either stay put or follow
exactly one stand-in; a query that does otherwise (a value written into the SQL text, or
changing it) is not remembered and is built afresh on every call, as before.

Values are ints, strings, aware datetimes, or lists of them. The parameters are what Django would
pass to the database for them (``DatabaseOperations.adapt_datetimefield_value``), so a query
runs exactly as Django would run it (tests/test_compiled.py).
"""

from datetime import UTC, datetime

from django.db import connections

_shapes: dict[tuple, tuple[str, list] | None] = {}
_CANNOT = None
# A count of how many times a query was built and compiled, for tests to see the reuse.
compilations = 0


def _stand_ins(values: tuple, round_: int) -> tuple:
    """Values of the same kinds and sizes as ``values``, unlike any real one and unlike
    those of the other round."""

    def stand_in(slot: int, item: int, like):
        if isinstance(like, datetime):
            return datetime(1900 + round_, 1 + slot % 12, 1, 0, 0, item % 60, 1 + item, tzinfo=UTC)
        if isinstance(like, str):
            return f"\x1fstand-in {round_} {slot} {item}"
        return 2_000_000_000 + round_ * 10_000_000 + slot * 100_000 + item

    return tuple(
        [stand_in(slot, i, v) for i, v in enumerate(value)]
        if isinstance(value, list)
        else stand_in(slot, 0, value)
        for slot, value in enumerate(values)
    )


def _flat(values: tuple) -> list:
    return [v for value in values for v in (value if isinstance(value, list) else [value])]


def _adapt(value, connection):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _compile(build, values: tuple, using: str):
    global compilations
    connection = connections[using]
    compiled = []
    for round_ in (1, 2):
        stand_ins = _stand_ins(values, round_)
        compilations += 1
        sql, params = _sql(build(*stand_ins), using)
        compiled.append((sql, list(params), _flat(stand_ins)))
    (sql, params, first), (sql_2, params_2, second) = compiled
    if sql != sql_2 or len(params) != len(params_2):
        return _CANNOT
    # Each parameter: ("value", index into the flattened values) or ("fixed", itself).
    places = []
    adapted = [_adapt(v, connection) for v in first]
    for param, param_2 in zip(params, params_2, strict=True):
        matches = [i for i, v in enumerate(adapted) if type(v) is type(param) and v == param]
        if len(matches) > 1:
            return _CANNOT
        if matches:
            places.append(("value", matches[0]))
        elif param == param_2:
            places.append(("fixed", param))
        else:
            return _CANNOT
    if _fill(places, second, connection) != params_2:
        return _CANNOT
    return sql, places


def _sql(queryset, using: str) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(using=using).as_sql()
    return sql, list(params)


def _fill(places: list, flat: list, connection) -> list:
    return [_adapt(flat[what], connection) if kind == "value" else what for kind, what in places]


def sql_with_params(key: str, build, values: tuple, using: str) -> tuple[str, list]:
    """The SQL and parameters of ``build(*values)`` on database ``using``, built once per
    ``key``, ``using`` and list sizes: ``build`` must make the same query for every set of
    values."""
    shape = (key, using, tuple(len(v) if isinstance(v, list) else -1 for v in values))
    if shape not in _shapes:
        _shapes[shape] = _compile(build, values, using)
    found = _shapes[shape]
    if found is _CANNOT:
        global compilations
        compilations += 1
        return _sql(build(*values), using)
    sql, places = found
    return sql, _fill(places, _flat(values), connections[using])


def tuples(key: str, build, values: tuple, using: str) -> list[tuple]:
    """The rows of a ``values_list()`` query as ``sql_with_params()`` gives it, as the
    database returns them: for columns of ints and text, which need no converting back."""
    sql, params = sql_with_params(key, build, values, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rows(key: str, build, values: tuple, using: str) -> list[dict]:
    """The rows of a ``values()`` query as ``sql_with_params()`` gives it, as dicts by
    column name, as the database returns them: for columns of ints and text, which need no
    converting back."""
    sql, params = sql_with_params(key, build, values, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
