from django.db import migrations


def seed(apps, schema_editor):
    AllowedDomain = apps.get_model("accounts", "AllowedDomain")
    AllowedDomain.objects.get_or_create(domain="dak.de", defaults={"role": "dak_mitarbeiter"})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auth_trust_audit_notifications")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
