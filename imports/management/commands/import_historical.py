from imports.management.commands._import_command import ImportCommand
from imports.models import ImportType


class Command(ImportCommand):
    help = "Importiert die historische Arbeitsmappe Abrechnung_DAK.xlsx (ein Protokoll je Blatt)."
    import_type = ImportType.HISTORISCH
    with_sheet = True
