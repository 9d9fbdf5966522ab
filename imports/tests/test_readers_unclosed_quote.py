"""An unclosed quote in a CRM CSV is a file error that says where the quote opened; nothing of
the file is imported (docs/decisions.md, "Imports: reader limits")."""

import pytest
from django.urls import reverse

from cases.models import Case
from imports.models import ImportPreview
from imports.readers.base import FileRejected
from imports.readers.crm import read_crm_csv
from imports.tests.test_views_csv_upload import upload

HEADER = "Name;Thema;Erstellungsdatum;Modul;Hauptkontakt\r\n"


def line(ticket, thema, name):
    return f"{ticket};{thema};03.02.26, 09:00;Zweitmeinung Onkologie;{name} | Anna\r\n"


def refused(text):
    with pytest.raises(FileRejected) as info:
        read_crm_csv(text.encode("utf-8"))
    return info.value.message


def test_the_message_names_the_record_and_the_line_where_the_quote_opened():
    text = (
        HEADER
        + line("T-1", "Knie", "Müller")
        + line("T-2", '"Hüfte, rechts', "Weiß")  # opens a quote, never closes it
        + line("T-3", "Schulter", "Kühn")
        + line("T-4", "Rücken", "Kuhn")
    )
    message = refused(text)
    assert message.startswith(
        "Das Anführungszeichen in Datensatz 3 (Zeile 3 der Datei) wird nie geschlossen; "
        "der Rest der Datei ab dort konnte nicht gelesen werden. Es wurde nichts importiert."
    )


def test_the_line_number_counts_the_lines_of_an_earlier_multi_line_field():
    text = (
        HEADER
        + line("T-1", '"zwei\r\nZeilen"', "Müller")  # record 2, lines 2-3
        + line("T-2", "Knie", "Muller")
        + 'T-3;Hüfte;03.02.26;Zweitmeinung Onkologie;"Weiss | Anna\r\n'
    )
    assert "Datensatz 4 (Zeile 5 der Datei)" in refused(text)


def test_a_rest_longer_than_the_field_limit_names_the_quote_too():
    filler = "".join(line(f"T-{n}", "Knie", "Müller") for n in range(30_000))
    text = HEADER + line("T-0", '"offen', "Weiß") + filler
    assert len(text) > 1024 * 1024
    assert "Datensatz 2 (Zeile 2 der Datei) wird nie geschlossen" in refused(text)


def test_an_unclosed_quote_in_the_header_is_named_and_not_a_missing_column():
    text = 'Name;"Thema;Erstellungsdatum;Modul;Hauptkontakt\r\n' + line("T-1", "Knie", "Kühn")
    assert "Datensatz 1 (Zeile 1 der Datei)" in refused(text)


def test_closed_quotes_doubled_quotes_and_stray_quotes_still_read():
    text = (
        HEADER
        + line("T-1", '"Bypass; ja ""oder"" nein?"', "Müller")
        + line("T-2", 'Knie 5"', "Weiß")
        + line("T-3", '"mehr\r\nzeilig"', "Kühn")
    )
    rows = read_crm_csv(text.encode("utf-8")).rows
    assert [r.values["thema"] for r in rows] == [
        'Bypass; ja "oder" nein?',
        'Knie 5"',
        "mehr\nzeilig",
    ]


@pytest.mark.django_db
def test_the_upload_shows_the_message_and_stores_nothing(admin_client):
    text = HEADER + line("T-1", "Knie", "Müller") + line("T-2", '"Hüfte', "Weiß")
    text += "".join(line(f"T-{n}", "Knie", "Kühn") for n in range(3, 50))
    response = upload(admin_client, "kw06.csv", text.encode("utf-8"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Datensatz 3 (Zeile 3 der Datei) wird nie geschlossen" in page
    assert not ImportPreview.objects.exists()
    assert not Case.objects.exists()
    assert reverse("imports:csv") in page
