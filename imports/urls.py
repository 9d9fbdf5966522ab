from django.urls import path

from imports.views import icd, logs, previews

app_name = "imports"

urlpatterns = [
    path("", logs.index, name="index"),
    path("csv/", previews.csv_upload, name="csv"),
    path("historisch/", previews.historical_upload, name="historical"),
    path("vorschau/<uuid:pk>/", previews.preview_detail, name="preview"),
    path("vorschau/<uuid:pk>/bestaetigen/", previews.preview_confirm, name="preview_confirm"),
    path("vorschau/<uuid:pk>/verwerfen/", previews.preview_discard, name="preview_discard"),
    path("icd/", icd.icd_upload, name="icd"),
    path("protokoll/", logs.log_list, name="log_list"),
    path("protokoll/<int:pk>/", logs.log_detail, name="log_detail"),
]
