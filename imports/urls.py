from django.urls import path

from imports.views import downloads, icd, logs, previews

app_name = "imports"

urlpatterns = [
    path("", logs.index, name="index"),
    path("csv/", previews.csv_upload, name="csv"),
    path("historisch/", previews.historical_upload, name="historical"),
    path("vorschau/<uuid:pk>/", previews.preview_detail, name="preview"),
    path("vorschau/<uuid:pk>/bestaetigen/", previews.preview_confirm, name="preview_confirm"),
    path("vorschau/<uuid:pk>/verwerfen/", previews.preview_discard, name="preview_discard"),
    path(
        "vorschau/<uuid:pk>/fehlerzeilen/",
        downloads.preview_failed_rows,
        name="preview_failed_rows",
    ),
    path("icd/", icd.icd_upload, name="icd"),
    path("protokoll/", logs.log_list, name="log_list"),
    path("protokoll/<int:pk>/", logs.log_detail, name="log_detail"),
    path("protokoll/<int:pk>/fehlerzeilen/", downloads.log_failed_rows, name="log_failed_rows"),
]
