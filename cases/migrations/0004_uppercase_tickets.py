"""Stored CRM tickets in the form domain.md §3 now prescribes: trimmed and upper-cased (NFC).

Two stored tickets can become the same after upper-casing (``t-1`` and ``T-1`` — possible where
the database compared exactly, e.g. SQLite). Per the rule they are one ticket, but which case is
the right one only staff can tell, so nothing is merged and nothing is lost: the case whose ticket
already has the stored form keeps it (otherwise the oldest case, lowest id), every other case of
the group gets NULL and its old ticket text is appended to its Bemerkung, naming the case that
kept the ticket. The same happens to a ticket that upper-casing makes longer than the field
(``ß`` → ``SS``). The affected primary keys are printed; no names.
"""

import sys
import unicodedata

from django.db import migrations

TICKET_MAX_LENGTH = 50


def _normalize(value):
    # A frozen copy of cases.rules.normalize_ticket: a migration must not change meaning when
    # the rules module changes later.
    text = unicodedata.normalize("NFC", str(value)).strip().upper()
    return unicodedata.normalize("NFC", text) or None


def _remark(old, kept_by, reason):
    note = f"CRM-Ticket „{old}“ bei der Vereinheitlichung (Großschreibung) entfernt: {reason}"
    if kept_by is not None:
        note += f" (Ticket bleibt bei Fall Nr. {kept_by})"
    return note + "."


def uppercase_tickets(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    groups = {}
    for pk, ticket in (
        Case.objects.exclude(crm_ticket_id=None).order_by("pk").values_list("pk", "crm_ticket_id")
    ):
        groups.setdefault(_normalize(ticket), []).append((pk, ticket))

    keep, clear = {}, {}  # pk -> new ticket; pk -> remark
    for normalized, members in groups.items():
        if normalized is None:
            for pk, _old in members:
                keep[pk] = None  # whitespace only: empty, as the rule stores it
            continue
        if len(normalized) > TICKET_MAX_LENGTH:
            for pk, old in members:
                clear[pk] = _remark(old, None, "länger als 50 Zeichen in Großschreibung")
            continue
        exact = [pk for pk, old in members if old == normalized]
        keeper = exact[0] if exact else members[0][0]
        for pk, old in members:
            if pk != keeper:
                clear[pk] = _remark(old, keeper, "dasselbe Ticket wie ein anderer Fall")
            elif old != normalized:
                keep[pk] = normalized

    # The tickets that step aside go first, so that no update meets a unique-key collision.
    for pk, remark in clear.items():
        case = Case.objects.get(pk=pk)
        case.bemerkung = f"{case.bemerkung}\n{remark}".strip()
        case.crm_ticket_id = None
        case.save(update_fields=["crm_ticket_id", "bemerkung"])
    for pk, ticket in keep.items():
        Case.objects.filter(pk=pk).update(crm_ticket_id=ticket)
    if clear:
        sys.stdout.write(
            "\n  CRM-Tickets, die nach Großschreibung doppelt oder zu lang wären, entfernt bei "
            f"Fall Nr. {', '.join(str(pk) for pk in sorted(clear))} (alter Wert in der "
            "Bemerkung).\n"
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_exact_collation")]

    # Upper-cased tickets cannot be told back apart, and the old form was not a rule to restore.
    operations = [migrations.RunPython(uppercase_tickets, migrations.RunPython.noop)]
