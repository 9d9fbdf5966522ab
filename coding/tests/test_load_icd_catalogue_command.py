import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import AuditLog
from coding.models import ICDCatalogueEntry, ICDCatalogueVersion
from coding.tests.catalogue_files import cp1252_file, kodes_line, utf8_file

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("load_icd_catalogue", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = exc.returncode
        out.write(str(exc))
    return code, out.getvalue()


def test_loading_the_official_file_exits_0_and_prints_codes_terminal_count_and_version(
    tmp_path, admin_user
):
    file = tmp_path / "icd10gm2026syst_kodes.txt"
    file.write_bytes(utf8_file())

    code, out = run(str(file), "--user", admin_user.email)

    assert code == 0
    # One table row: version, codes, terminal codes.
    assert re.search(r"ICD-10-GM 2026\W+7\W+4\W", out), out
    assert ICDCatalogueEntry.objects.count() == 7
    assert AuditLog.objects.get(action="coding.icd_catalogue_loaded").user == admin_user


def test_the_year_option_is_used_when_the_file_was_renamed(tmp_path):
    file = tmp_path / "katalog.txt"
    file.write_bytes(cp1252_file())
    code, out = run(str(file), "--year", "2025")
    assert code == 0
    assert ICDCatalogueVersion.objects.get().year == 2025
    assert "ICD-10-GM 2025" in out


def test_a_bad_file_exits_2_with_the_line_named_and_keeps_the_catalogue(tmp_path):
    good = tmp_path / "icd10gm2026syst_kodes.txt"
    good.write_bytes(utf8_file())
    assert run(str(good))[0] == 0
    bad = tmp_path / "icd10gm2027syst_kodes.txt"
    bad.write_bytes(
        (kodes_line(4, True, "C50.1", "Zentraler Drüsenkörper") + "\n" + "5;T;C50.11\n").encode()
    )

    code, out = run(str(bad))

    assert code == 2
    assert "Zeile 2: 3 Felder statt 28 wie in Zeile 1" in out
    assert "es wurde nichts geändert" in out
    assert ICDCatalogueVersion.objects.get().year == 2026
    assert ICDCatalogueEntry.objects.count() == 7


def test_a_missing_file_exits_2(tmp_path):
    code, out = run(str(tmp_path / "icd10gm2026syst_kodes.txt"))
    assert code == 2
    assert "nicht gefunden" in out


def test_the_process_exit_code_is_2_and_the_message_goes_to_stderr(tmp_path):
    # Refused before the database is touched, so the real manage.py can run against the
    # configured database without changing it.
    bad = tmp_path / "icd10gm2026syst_kodes.txt"
    bad.write_bytes(b"")
    manage = Path(settings.BASE_DIR) / "manage.py"
    result = subprocess.run(
        [sys.executable, str(manage), "load_icd_catalogue", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Die Datei ist leer." in result.stderr
