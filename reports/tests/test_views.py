"""The reports page /berichte/: everyone logged in sees and downloads the reports (audited,
no-store, the server's file name); admins generate; a report's page previews sheet 1 and lists
the cells changed against the previous version."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.actor import Actor
from accounts.models import AuditLog
from cases.tests.factories import make_case
from reports.models import WeeklyReport
from reports.services import report_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(db):
    make_case(nachname="Müller", datum=dt.date(2026, 2, 3), fallgruppe="onko", gutachten=True)
    return report_generate(jahr=2026, kw=6, actor=Actor.command_line())


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_list_shows_each_report_with_week_version_who_and_a_download(dak_client, report):
    page = text(dak_client.get(reverse("reports:list")))
    assert "KW 06/2026" in page
    assert "Kommandozeile" in page
    assert "erste Fassung" in page
    assert reverse("reports:download", kwargs={"pk": report.pk}) in page
    assert reverse("reports:detail", kwargs={"pk": report.pk}) in page


def test_the_list_shows_the_changed_count_of_a_regenerated_week(dak_client, report):
    make_case(nachname="Kühn", datum=dt.date(2026, 2, 4), fallgruppe="kardio")
    again = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    page = dak_client.get(reverse("reports:list"))
    [row] = re.findall(r"<tr>.*?</tr>", page.content.decode().split("<tbody>")[1], re.S)
    assert f'<td class="num">{again.changed_count}</td>' in row
    assert again.changed_count > 0


def test_dak_staff_get_no_generate_form(dak_client):
    page = text(dak_client.get(reverse("reports:list")))
    assert "Noch kein Bericht erstellt." in page
    assert reverse("reports:generate") not in page


def test_admins_get_the_form_preset_to_last_week(admin_client):
    page = text(admin_client.get(reverse("reports:list")))
    assert f'action="{reverse("reports:generate")}"' in page
    assert 'name="kw"' in page


def test_the_navigation_has_berichte(dak_client):
    page = text(dak_client.get(reverse("home")))
    assert 'href="/berichte/">Berichte</a>' in page


def test_dak_staff_may_not_generate(dak_client):
    response = dak_client.post(reverse("reports:generate"), {"jahr": 2026, "kw": 6})
    assert response.status_code == 403
    assert not WeeklyReport.objects.exists()


def test_an_admin_generates_a_week_and_lands_on_its_page(admin_client, admin_user):
    response = admin_client.post(reverse("reports:generate"), {"jahr": 2026, "kw": 6})
    report = WeeklyReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", kwargs={"pk": report.pk})
    assert report.generated_by == admin_user
    page = text(admin_client.get(response["Location"]))
    assert "Berichtswesen KW 06/2026 erstellt." in page


def test_a_week_the_year_does_not_have_is_refused_in_german(admin_client):
    response = admin_client.post(reverse("reports:generate"), {"jahr": 2025, "kw": 53})
    assert response.status_code == 400
    assert "Das Jahr 2025 hat keine KW 53, nur 52 Kalenderwochen." in text(response)
    assert not WeeklyReport.objects.exists()


def test_a_missing_week_is_refused_in_german(admin_client):
    response = admin_client.post(reverse("reports:generate"), {"jahr": "2026", "kw": ""})
    assert response.status_code == 400
    assert "Bitte eine KW angeben." in text(response)


def test_the_download_is_the_stored_file_named_by_the_server_uncached_and_audited(
    dak_client, dak_user, report
):
    response = dak_client.get(reverse("reports:download", kwargs={"pk": report.pk}))
    assert response.status_code == 200
    assert response.content == bytes(report.content)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        'attachment; filename="Berichtswesen_DAK_2026_KW06.xlsx"'
    )
    assert "no-store" in response["Cache-Control"]
    [entry] = AuditLog.objects.filter(action="download")
    assert (entry.user, entry.entity_type, entry.entity_id) == (
        dak_user,
        "reports.weeklyreport",
        str(report.pk),
    )
    assert entry.new_values == {"datei": "Berichtswesen_DAK_2026_KW06.xlsx", "version": 1}


def test_the_report_page_previews_sheet_one_as_a_table(dak_client, report):
    page = text(dak_client.get(reverse("reports:detail", kwargs={"pk": report.pk})))
    assert "Vorschau: Auswertung KW gesamt" in page
    assert "<th>Gesamtübersicht</th>" in page
    preview = page.split('data-testid="preview"')[1].split("</table>")[0]
    assert "<th>Erstberatungen</th>" in preview or "<td>Erstberatungen</td>" in preview
    assert '<td class="num">2026</td>' in preview or '<th class="num">2026</th>' in preview
    assert "Erste Fassung dieser Woche" in page


def test_the_report_page_lists_every_changed_cell_old_and_new(dak_client, report):
    make_case(nachname="Weiss", datum=dt.date(2026, 2, 5), fallgruppe="onko")
    again = report_generate(jahr=2026, kw=6, actor=Actor.command_line())
    page = text(dak_client.get(reverse("reports:detail", kwargs={"pk": again.pk})))
    assert f"Fassung 2: {again.changed_count} Werte geändert gegenüber der Fassung vom" in page
    changes = page.split('data-testid="changes"')[1].split("</table>")[0]
    assert changes.count("<tr>") == again.changed_count + 1  # header row
    assert (
        '<td>Auswertung KW gesamt</td> <td class="cell-nowrap">B3</td> '
        '<td class="cell-nowrap">Erstberatungen</td> <td>2026</td> '
        '<td class="num">1</td> <td class="num">2</td>'
    ) in changes


def test_an_unknown_report_is_404(dak_client):
    assert dak_client.get(reverse("reports:detail", kwargs={"pk": 999})).status_code == 404
    assert dak_client.get(reverse("reports:download", kwargs={"pk": 999})).status_code == 404
