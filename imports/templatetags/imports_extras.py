"""Template helpers of the import pages."""

from django import template

from cases.models import Case
from imports.models import display_value, field_label

register = template.Library()

# Model order (Fall, Person, Beratung, … Abrechnung) is the order staff know from the workbook.
_ORDER = {field.name: index for index, field in enumerate(Case._meta.concrete_fields)}


@register.filter
def row_fields(row):
    """(German label, value) of every field the previewed row holds a value for: what a new
    case would be written with. Empty texts and unset flags are left out (they stay empty or
    Nein), so the list stays short."""
    items = [
        (name, value) for name, value in row.values.items() if value not in (None, "", False, [])
    ]
    items.sort(key=lambda item: _ORDER.get(item[0], len(_ORDER)))
    return [(field_label(name), display_value(name, value)) for name, value in items]
