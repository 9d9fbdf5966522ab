from django.db import migrations


def create_lock(apps, schema_editor):
    apps.get_model("imports", "ImportLock").objects.get_or_create(name="imports")


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_import_lock")]

    operations = [migrations.RunPython(create_lock, migrations.RunPython.noop)]
