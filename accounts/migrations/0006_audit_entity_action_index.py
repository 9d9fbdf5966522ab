"""A case's history reads its entries without stepping over the reads: the entity index gets
the action (and the time) so that ``action NOT IN ('read', 'download')`` is a range of the
index. Reads are written on every view of a case; with ~5,000 of them one case page spent
~2 ms finding its few changes (docs/decisions.md, "Page speed under load")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_exact_collation_third_party"),
    ]

    operations = [
        # The new index first: the audit table is never without one for its entities.
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                fields=["entity_type", "entity_id", "action", "created_at"],
                name="auditlog_entity_action_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="auditlog", name="auditlog_entity_idx"),
    ]
