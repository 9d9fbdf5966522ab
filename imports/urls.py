from django.urls import path

from imports.views import downloads, icd, logs, previews, sync

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
    path("sync/", sync.sync_page, name="sync"),
    path("sync/export/", sync.sync_export, name="sync_export"),
    path("sync/vorschau/<uuid:pk>/", sync.sync_preview, name="sync_preview"),
    path(
        "sync/vorschau/<uuid:pk>/bestaetigen/",
        sync.sync_preview_confirm,
        name="sync_preview_confirm",
    ),
    path(
        "sync/vorschau/<uuid:pk>/verwerfen/", sync.sync_preview_discard, name="sync_preview_discard"
    ),
    path("protokoll/", logs.log_list, name="log_list"),
    path("protokoll/<int:pk>/", logs.log_detail, name="log_detail"),
    path("protokoll/<int:pk>/fehlerzeilen/", downloads.log_failed_rows, name="log_failed_rows"),
]
