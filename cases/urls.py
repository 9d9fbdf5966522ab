from django.urls import path

from cases.views import detail, icd, icd_template
from cases.views import list as case_list

app_name = "cases"

urlpatterns: list = [
    path("", case_list.case_list_page, name="list"),
    path("suche/", case_list.case_search, name="search"),
    path("suche/zuruecksetzen/", case_list.case_search_reset, name="search_reset"),
    path("export/", case_list.case_export, name="export"),
    path("codiervorlage/", icd_template.icd_template_download, name="icd_template"),
    path("neu/", detail.create, name="create"),
    path("<int:pk>/", detail.detail, name="detail"),
    path("<int:pk>/bearbeiten/", detail.edit, name="edit"),
    path("<int:pk>/icd/", icd.icd_save_view, name="icd"),
    path("icd/pruefen/", icd.icd_check_view, name="icd_check"),
    path("icd-eingabe/", icd.icd_queue, name="icd_queue"),
]
