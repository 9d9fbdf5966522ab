"""Expected access for the import pages (see accounts/tests/permission_table.py)."""

from accounts.permissions import ADMIN, DAK_OR_ADMIN
from accounts.tests.permission_table import rule
from imports.tests.conftest import FIXTURES


def _preview(ctx):
    # A preview belongs to its uploader: the verified admin persona uploaded this one.
    from accounts.actor import Actor
    from imports.models import ImportType
    from imports.previews import preview_create
    from imports.services import import_prepare

    plan = import_prepare(
        import_type=ImportType.CRM_CSV,
        data=(FIXTURES / "crm_edge_cases.csv").read_bytes(),
        file_name="crm_edge_cases.csv",
    )
    return {"pk": preview_create(plan=plan, actor=Actor(user=ctx.admin_user)).pk}


def _sync_preview(ctx):
    # An Excel-Sync preview of the verified admin persona (no cases: nothing to change).
    from accounts.actor import Actor
    from imports.sync import sync_prepare, sync_preview_create
    from imports.sync_export import export_cases

    export = export_cases()
    plan = sync_prepare(data=export.file.read(), file_name=export.file_name)
    return {"pk": sync_preview_create(plan=plan, actor=Actor(user=ctx.admin_user)).pk}


def _log(ctx):
    log = ctx.make("imports.ImportLog", import_type="crm_csv", sha256="0" * 64, details={})
    return {"pk": log.pk}


URL_RULES = {
    "imports:index": rule(ADMIN),
    "imports:csv": rule(ADMIN),
    "imports:historical": rule(ADMIN),
    "imports:preview": rule(ADMIN, kwargs=_preview),
    # Confirming leads to the new import log, discarding back to the upload page.
    "imports:preview_confirm": rule(ADMIN, method="post", kwargs=_preview, admin="redirect"),
    "imports:preview_discard": rule(ADMIN, method="post", kwargs=_preview, admin="redirect"),
    "imports:icd": rule(DAK_OR_ADMIN),
    "imports:log_list": rule(ADMIN),
    "imports:log_detail": rule(ADMIN, kwargs=_log),
    "imports:preview_failed_rows": rule(ADMIN, kwargs=_preview),
    # A log without a stored preview has no rows left to download.
    "imports:log_failed_rows": rule(ADMIN, kwargs=_log, admin="not_found"),
    # Excel-Sync: admins only (it changes any field of any case).
    "imports:sync": rule(ADMIN),
    "imports:sync_export": rule(ADMIN),
    "imports:sync_preview": rule(ADMIN, kwargs=_sync_preview),
    # Confirming leads to the import log, discarding back to the sync page.
    "imports:sync_preview_confirm": rule(
        ADMIN, method="post", kwargs=_sync_preview, admin="redirect"
    ),
    "imports:sync_preview_discard": rule(
        ADMIN, method="post", kwargs=_sync_preview, admin="redirect"
    ),
}
