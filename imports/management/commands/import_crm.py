from imports.management.commands._import_command import ImportCommand
from imports.models import ImportType


class Command(ImportCommand):
    help = "Importiert einen CRM-Export (CSV) mit neuen Fällen."
    import_type = ImportType.CRM_CSV
