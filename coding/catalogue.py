"""The ICD-10-GM catalogue: loading the BfArM code file and looking codes up.

The catalogue only adds information. The spec's format rule (rules.parse_icd) decides what is
saved; a code the catalogue does not know, or one that is not terminal, gets a warning and is
saved all the same. Without a loaded catalogue the lookup returns no titles and no warnings,
so ICD entry works exactly as before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import FilteredRelation, Q

from accounts import audit
from accounts.actor import Actor
from coding.catalogue_reader import read_catalogue
from coding.models import ICDCatalogueEntry, ICDCatalogueVersion

CATALOGUE_LOADED = "coding.icd_catalogue_loaded"
AUDIT_LABELS = {CATALOGUE_LOADED: "ICD-10-GM-Katalog geladen"}
AUDIT_FIELD_LABELS = {
    "jahr": "Jahr",
    "codes": "Codes",
    "endstaendig": "endständige Codes",
    "sha256": "SHA-256",
}

NOT_TERMINAL = "kein endständiger Code – bitte genauer codieren"

_BATCH_SIZE = 2000


def not_in_catalogue(year: int) -> str:
    return f"nicht im ICD-10-GM-Katalog {year}"


def catalogue_load(
    *, data: bytes, file_name: str, year: int | None = None, actor: Actor | None = None
) -> ICDCatalogueVersion:
    """Replace the catalogue with the codes of one BfArM file, in one transaction.

    The whole file is read and checked before anything is written, so a bad file raises
    FileRejected (German message naming the lines) and the previous catalogue stays as it was.
    """
    actor = actor or Actor.command_line()
    catalogue = read_catalogue(data, file_name=file_name, year=year)
    with transaction.atomic():
        previous = ICDCatalogueVersion.objects.order_by("-pk").first()
        # Entries first, in one statement; the version's cascade would otherwise collect them.
        ICDCatalogueEntry.objects.all().delete()
        ICDCatalogueVersion.objects.all().delete()
        version = ICDCatalogueVersion.objects.create(
            year=catalogue.year,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            code_count=len(catalogue.rows),
            terminal_count=catalogue.terminal_count,
            loaded_by=actor.user,
        )
        ICDCatalogueEntry.objects.bulk_create(
            (
                ICDCatalogueEntry(
                    version=version,
                    code=row.code,
                    level=row.level,
                    terminal=row.terminal,
                    title=row.title,
                )
                for row in catalogue.rows
            ),
            batch_size=_BATCH_SIZE,
        )
        audit.record(
            action=CATALOGUE_LOADED,
            actor=actor,
            entity=version,
            old=_audit_facts(previous) if previous else {},
            new=_audit_facts(version),
        )
    return version


def _audit_facts(version: ICDCatalogueVersion) -> dict:
    return {
        "jahr": version.year,
        "codes": version.code_count,
        "endstaendig": version.terminal_count,
        "sha256": version.sha256,
    }


@dataclass(frozen=True)
class CodeInfo:
    """What the catalogue says about one code; both None without a catalogue."""

    code: str
    title: str | None = None
    warning: str | None = None


def catalogue_lookup(*, codes: list[str]) -> dict[str, CodeInfo]:
    """Title and warning per code (normalised, as rules.parse_icd returns them), in input order.

    One query whatever the number of codes: the version row LEFT JOINed to the entries with
    those codes, so "no catalogue" (no row) and "code unknown" (a row without an entry) are told
    apart without a second query.
    """
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    rows = list(
        ICDCatalogueVersion.objects.annotate(
            hit=FilteredRelation("entries", condition=Q(entries__code__in=codes))
        ).values_list("pk", "year", "hit__code", "hit__title", "hit__terminal")
    )
    if not rows:
        return {code: CodeInfo(code) for code in codes}
    # There is one version row; should a half-finished replacement ever leave two, the newest
    # one answers.
    current = max(pk for pk, *_ in rows)
    year = next(year for pk, year, *_ in rows if pk == current)
    found = {
        code: (title, terminal)
        for pk, _, code, title, terminal in rows
        if pk == current and code is not None
    }
    result = {}
    for code in codes:
        if code not in found:
            result[code] = CodeInfo(code, warning=not_in_catalogue(year))
            continue
        title, terminal = found[code]
        result[code] = CodeInfo(code, title=title, warning=None if terminal else NOT_TERMINAL)
    return result


def catalogue_version() -> ICDCatalogueVersion | None:
    """The loaded catalogue's version, None when none is loaded."""
    return ICDCatalogueVersion.objects.order_by("-pk").first()
