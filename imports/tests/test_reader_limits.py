"""No file can make the preview or the import log store an unbounded value (issue 11 §2), and
the readers cut texts exactly where the Case model does (§5)."""

import pytest
from django.db import models
from django.urls import reverse

from accounts.actor import Actor
from cases import rules
from cases.models import Case
from imports.models import ImportLog, ImportPreview, ImportType
from imports.readers import base
from imports.readers.base import TEXT_MAX_LENGTHS, Problem, quoted_list
from imports.readers.crm import read_crm_csv
from imports.readers.historical import COLUMNS, read_historical_workbook
from imports.services import import_commit, import_prepare
from imports.tests.reader_support import row, xlsx, year_sheet
from imports.tests.test_views_csv_upload import upload

HEADER = "Name;Thema;Erstellungsdatum;Modul;Hauptkontakt"


def crm_line(n, modul="Zweitmeinung Onkologie", name="Müller"):
    return f"T-{n};Knie;03.02.26, 09:00;{modul};{name} | Anna"


# --- 185,000 unknown columns --------------------------------------------------------------


def wide_file(columns=185_000):
    # About 100 characters per header, as in the file that broke the upload: 18.6 MB.
    unknown = ";".join(f"Zusatzfeld {n:06d} " + "x" * 82 for n in range(columns))
    lines = [f"{HEADER};{unknown}", crm_line(1), crm_line(2, name="Weiß"), crm_line(3, name="Kühn")]
    return "\r\n".join(lines).encode("utf-8")


@pytest.mark.django_db
def test_an_upload_with_185000_unknown_columns_shows_the_preview_with_a_capped_notice(
    admin_client,
):
    data = wide_file()
    # More than MariaDB's 16 MiB packet as one notice, less than the 20 MB upload limit.
    assert 16 * 1024 * 1024 < len(data) < 20 * 1024 * 1024
    response = upload(admin_client, "kw06.csv", data)
    assert response.status_code == 302
    preview = ImportPreview.objects.get()
    [notice] = preview.notices
    assert notice["message"].startswith("Unbekannte Spalten werden ignoriert: „Zusatzfeld 000000")
    assert notice["message"].endswith(" und 184.990 weitere.")
    assert len(notice["message"]) < 1000
    page = admin_client.get(response.url).content.decode()
    assert "und 184.990 weitere" in page
    assert preview.counts["neu"] == 3

    admin_client.post(reverse("imports:preview_confirm", args=[preview.pk]))
    log = ImportLog.objects.get()
    assert log.imported == 3
    assert log.details["notices"][0]["message"].endswith(" und 184.990 weitere.")


def test_a_notice_lists_ten_items_each_cut():
    items = [f"Spalte {n}" for n in range(12)] + ["y" * 500]
    text = quoted_list(items)
    assert text.startswith("„Spalte 0“, „Spalte 1“")
    assert text.endswith("„Spalte 9“ und 3 weitere")
    long_item = quoted_list(["y" * 500])
    assert len(long_item) == base.ITEM_LIMIT + 2 and long_item.endswith("…“")


def test_a_problem_cuts_a_huge_column_value_and_message():
    problem = Problem(2, "K" * 10_000, "v" * 10_000, "m" * 10_000, base.ERROR)
    assert len(problem.column) == base.COLUMN_LIMIT
    assert len(problem.value) == base.VALUE_LIMIT
    assert len(problem.message) == base.MESSAGE_LIMIT


@pytest.mark.django_db
def test_a_huge_cell_in_a_message_is_stored_cut(admin_client):
    modul = "Zweitmeinung " + "Ö" * 500_000
    data = "\r\n".join([HEADER, crm_line(1), crm_line(2, modul=modul, name="Weiss")]).encode()
    upload(admin_client, "kw06.csv", data)
    stored = ImportPreview.objects.get().rows.get(row_number=3)
    [error] = stored.errors
    assert error["message"].startswith("Modul „Zweitmeinung ÖÖÖ")
    assert len(error["message"]) <= base.MESSAGE_LIMIT
    assert len(error["value"]) <= base.VALUE_LIMIT


def test_a_workbook_with_many_ignored_sheets_gives_at_most_fifty_notices():
    sheets = {f"Notizen {n}": [["x"]] for n in range(120)}
    sheets["2025"] = year_sheet(row(KW=6, Datum="03.02.2025", Fallgruppe="onko", Nachname="Kühn"))
    result = read_historical_workbook(xlsx(sheets))
    assert len(result.notices) == base.NOTICE_LIMIT
    assert result.notices[-1].message == "… und 71 weitere Hinweise."
    assert [r.values["nachname"] for r in result.rows] == ["Kühn"]


@pytest.mark.django_db
def test_the_import_log_keeps_at_most_1000_messages_and_says_so():
    lines = [HEADER] + [crm_line(n, modul="Unbekanntes Modul") for n in range(2500)]
    plan = import_prepare(
        import_type=ImportType.CRM_CSV, data="\r\n".join(lines).encode(), file_name="kw06.csv"
    )
    [log] = import_commit(plan=plan, actor=Actor.command_line())
    assert log.errors == 2500
    errors = log.details["errors"]
    assert len(errors) == 1001
    assert errors[0]["message"].startswith(
        "Nur die ersten 1.000 Fehler sind im Protokoll gespeichert; 1.500 weitere"
    )


# --- field lengths ------------------------------------------------------------------------


def test_the_readers_limits_are_the_models_max_lengths():
    for field in Case._meta.concrete_fields:
        if isinstance(field, models.CharField):
            assert TEXT_MAX_LENGTHS[field.name] == field.max_length, field.name
    assert Case._meta.get_field("icd").max_length == rules.ICD_MAX_LENGTH


TEXT_COLUMNS = [
    (header, name)
    for header, name, kind in COLUMNS
    if kind == "text" and isinstance(Case._meta.get_field(name), models.CharField)
]


@pytest.mark.parametrize(("header", "name"), TEXT_COLUMNS)
def test_a_workbook_text_one_longer_than_the_field_is_cut_to_the_field(header, name):
    limit = Case._meta.get_field(name).max_length
    cells = {"KW": 6, "Datum": "03.02.2025", "Fallgruppe": "onko", "Nachname": "Kühn"}
    cells[header.replace("-", "_").replace(" ", "_")] = "ß" * (limit + 1)
    [parsed] = read_historical_workbook(xlsx({"2025": year_sheet(row(**cells))})).rows
    assert parsed.values[name] == "ß" * limit
    assert any(f"länger als {limit} Zeichen" in w.message for w in parsed.warnings)


@pytest.mark.django_db
def test_cut_texts_import_on_every_database():
    # MariaDB in strict mode refuses a text one character too long for its column.
    thema = "Ä" * (Case._meta.get_field("thema").max_length + 5)
    data = "\r\n".join([HEADER, f"T-1;{thema};03.02.26;Zweitmeinung Onkologie;Weiß | Wim"])
    assert read_crm_csv(data.encode()).rows[0].warnings
    plan = import_prepare(import_type=ImportType.CRM_CSV, data=data.encode(), file_name="a.csv")
    import_commit(plan=plan, actor=Actor.command_line())
    assert Case.objects.get().thema == "Ä" * Case._meta.get_field("thema").max_length
