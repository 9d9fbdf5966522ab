"""An empty ICD is NULL, always: the stored form save() and the imports already write
(cases.models.normalized_values), now also a rule of the table (CHECK case_icd_not_empty).

With one spelling of "no ICD", "ICD fehlt" is one ``icd IS NULL``, which the new index
(icd, datum) answers in date order: the case list's filter and the ICD-Eingabe queue read their
page straight from it instead of sorting every pending case (docs/decisions.md, "Case list").
The index replaces (icd, jahr, kw), whose one other use, the sort by ICD, now orders equal codes
by date (the same order as by week, finer).
"""

from django.db import migrations, models
from django.db.models.functions import Trim


def empty_icd_to_null(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.exclude(icd=None).annotate(trimmed=Trim("icd")).filter(trimmed="").update(icd=None)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_report_cover_index"),
    ]

    operations = [
        # Empty text meant "no ICD" before as well: nothing is lost.
        migrations.RunPython(empty_icd_to_null, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["icd", "datum"], name="case_icd_datum_idx"),
        ),
        migrations.RemoveIndex(model_name="case", name="case_pending_icd_idx"),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(icd__isnull=True) | ~models.Q(icd=""),
                name="case_icd_not_empty",
                violation_error_message="Eine leere ICD wird als „keine ICD“ gespeichert.",
            ),
        ),
    ]
