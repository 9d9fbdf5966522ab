"""Row values as JSON for the stored preview, and back: dates as ISO text, amounts as decimal
text. Which field holds a date or an amount comes from the Case model itself."""

import datetime as dt
from decimal import Decimal

from cases.models import Case

_FIELD_TYPES = {f.name: f.get_internal_type() for f in Case._meta.concrete_fields}


def encode_values(values: dict) -> dict:
    encoded = {}
    for name, value in values.items():
        if isinstance(value, dt.date):
            encoded[name] = value.isoformat()
        elif isinstance(value, Decimal):
            encoded[name] = str(value)
        else:
            encoded[name] = value
    return encoded


def decode_values(values: dict) -> dict:
    decoded = {}
    for name, value in values.items():
        kind = _FIELD_TYPES.get(name)
        if value is None or kind is None:
            decoded[name] = value
        elif kind == "DateField":
            decoded[name] = dt.date.fromisoformat(value)
        elif kind == "DecimalField":
            decoded[name] = Decimal(value)
        else:
            decoded[name] = value
    return decoded
