"""The datum index carries the names: (datum, id, nachname, vorname) instead of (datum).

It still serves every date range and the list's order (datum, id); a name search now reads a
page's keys from it without fetching rows. Added before the old one is dropped, so the table is
never without a date index (MariaDB runs each step as its own online ALTER)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_icd_null_for_empty"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["datum", "id", "nachname", "vorname"], name="case_datum_name_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="case", name="case_datum_idx"),
    ]
