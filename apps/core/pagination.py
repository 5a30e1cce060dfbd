"""Keyset pagination: one page of any list, in any order, at constant cost.

OFFSET reads every row before the page (1.2 s at row 950,000 against 0.1 ms, STYLE.md);
a keyset page starts at the boundary row's sort values and reads `size` index entries,
whatever the page. The caller names the order, e.g. ``("-created_at", "-id")``: fields
of the model, not nullable, the last one unique (the primary key) so that every row has
exactly one place. An index on the same fields in the same order (or all reversed)
serves the page: the filter starts with a plain bound on the first field that the index
scan starts from, then breaks ties on the next fields.

A cursor is the boundary row's sort values as JSON in URL-safe base64: opaque to users,
safe in a query string. A cursor that cannot be read (edited, truncated, from another
list) is ignored: the first page is shown, never an error.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet

PAGE_SIZE = 25  # rows per list page: one screen on a 10-inch tablet


@dataclass(frozen=True)
class KeysetPage:
    """One page: its rows, and the cursors of the pages before and after it (None at an
    end of the list)."""

    rows: list
    previous: str | None
    next: str | None
    size: int


@dataclass(frozen=True)
class _Key:
    field: Field
    descending: bool

    @property
    def name(self) -> str:
        return self.field.attname


def _keys(model: type[Model], order: tuple[str, ...]) -> list[_Key]:
    """The order as keys; refuses an order that cannot page (a programming error)."""
    if not order:
        raise ValueError("keyset_page needs an order")
    keys = []
    for item in order:
        name = item.removeprefix("-")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(f"{model.__name__} has no field {name!r} to page by") from None
        if field.null:
            raise ValueError(f"{model.__name__}.{name} is nullable: a keyset needs a value")
        keys.append(_Key(field, item.startswith("-")))
    last = model._meta.get_field(order[-1].removeprefix("-"))
    if not (last.primary_key or last.unique):
        raise ValueError(f"the last field of {order} must be unique, e.g. id")
    return keys


def _dump(value) -> str | int:
    """A sort value as JSON can hold it (str or int), read back by the field's to_python."""
    if isinstance(value, dt.datetime):
        # In UTC, so that the same instant always gives the same cursor.
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(row, *, order: tuple[str, ...]) -> str:
    """The cursor of `row` for a list in `order`."""
    keys = _keys(type(row), order)
    values = [_dump(getattr(row, key.name)) for key in keys]
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None, *, model: type[Model], order: tuple[str, ...]):
    """The sort values a cursor holds, typed as the fields are; None if unreadable."""
    if not cursor:
        return None
    keys = _keys(model, order)
    try:
        payload = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(payload.decode())
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    typed = []
    for key, value in zip(keys, values, strict=True):
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        try:
            python = key.field.to_python(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            return None
        if python is None:
            return None
        if isinstance(python, dt.datetime) and python.tzinfo is None:
            return None  # a cursor we wrote always carries its offset
        typed.append(python)
    return typed


def _beyond(keys: list[_Key], values: list, *, forward: bool) -> Q:
    """Rows after the boundary (forward) or before it, in the list's order.

    Lexicographic: k1 past v1, or k1 = v1 and k2 past v2, … For two keys descending:
    ``created_at <= x AND (created_at < x OR (created_at = x AND id < y))``. The first
    bound is implied by the rest; it is there because the index scan starts from it,
    so only the rows tied with the boundary are filtered after reading.
    """
    condition = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        lookup = "lt" if key.descending == forward else "gt"
        past = Q(**{f"{key.name}__{lookup}": value})
        condition = past if condition is None else past | (Q(**{key.name: value}) & condition)
    first = keys[0]
    bound = "lte" if first.descending == forward else "gte"
    return Q(**{f"{first.name}__{bound}": values[0]}) & condition


def _ordering(keys: list[_Key], *, forward: bool) -> list[str]:
    return [("-" if key.descending == forward else "") + key.name for key in keys]


def keyset_page(
    queryset: QuerySet,
    *,
    order: tuple[str, ...],
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> KeysetPage:
    """One page of `queryset` in `order`: the first page, the page after the row of
    cursor `after`, or the page before the row of cursor `before`. Reads size + 1 rows
    (the extra one tells whether there is a further page)."""
    model = queryset.model
    keys = _keys(model, order)
    boundary = decode_cursor(before, model=model, order=order)
    if boundary is not None:
        found = list(
            queryset.filter(_beyond(keys, boundary, forward=False)).order_by(
                *_ordering(keys, forward=False)
            )[: size + 1]
        )
        if found:
            rows = list(reversed(found[:size]))
            previous = encode_cursor(rows[0], order=order) if len(found) > size else None
            return KeysetPage(rows, previous, encode_cursor(rows[-1], order=order), size)
    else:
        boundary = decode_cursor(after, model=model, order=order)
        if boundary is not None:
            found = list(
                queryset.filter(_beyond(keys, boundary, forward=True)).order_by(
                    *_ordering(keys, forward=True)
                )[: size + 1]
            )
            if found:
                rows = found[:size]
                following = encode_cursor(rows[-1], order=order) if len(found) > size else None
                return KeysetPage(rows, encode_cursor(rows[0], order=order), following, size)
    # The first page; also when the rows past a cursor are gone (deleted meanwhile, or a
    # cursor of another list): an empty page with no way back would be a dead end.
    found = list(queryset.order_by(*_ordering(keys, forward=True))[: size + 1])
    rows = found[:size]
    following = encode_cursor(rows[-1], order=order) if len(found) > size else None
    return KeysetPage(rows, None, following, size)
