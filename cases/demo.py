"""Synthetic, clearly fictitious demo data for development (`manage.py seed_demo`).

Every person is made up from short lists of common German first and last names; clinics and
centres carry invented place names. The generator is deterministic: each ISO week draws from its
own seeded random stream, so reruns and partial runs (`--weeks`) produce the same cases, and
idempotency comes from the fixed CRM ticket ids ``DEMO-<jahr>-<kw>-<nr>``.

Cases follow a timeline relative to today (documents, Gutachten, coding, ICD entry, billing):
a step whose date lies in the future has not happened yet, so recent weeks naturally leave work
in the ICD and coding queues.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from cases import rules

DEMO_TICKET_PREFIX = "DEMO-"
DEMO_SEED = 20240101
DEMO_PER_WEEK = 40
DEMO_REMARK = "Fiktiver Demo-Datensatz"

ADMIN_EMAIL = "admin@demo.example"
DAK_EMAIL = "dak@dak.de"
# Fixed development-only credentials: printed by seed_demo, refused in production.
ADMIN_PASSWORD = "Demo-Admin-2026!"  # noqa: S105
DAK_PASSWORD = "Demo-DAK-2026!"  # noqa: S105
# A fixed 20-byte TOTP secret, so an authenticator app set up once keeps working after reruns.
DEMO_TOTP_KEY = b"DAK-Demo-Portal-2FA!".hex()
DEMO_TOTP_DEVICE_NAME = "Demo-Authenticator"

FIRST_NAMES_W = (
    "Anna", "Maria", "Ursula", "Monika", "Petra", "Sabine", "Renate", "Karin", "Brigitte",
    "Elke", "Gabriele", "Andrea", "Birgit", "Claudia", "Susanne", "Heike", "Katrin", "Julia",
    "Sandra", "Nicole", "Stefanie", "Christina", "Laura", "Lena", "Sarah", "Ingrid", "Helga",
    "Erika", "Gisela", "Barbara",
)  # fmt: skip
FIRST_NAMES_M = (
    "Peter", "Michael", "Thomas", "Andreas", "Wolfgang", "Klaus", "Jürgen", "Stefan", "Frank",
    "Uwe", "Hans", "Dieter", "Manfred", "Bernd", "Ralf", "Markus", "Christian", "Martin", "Jan",
    "Tobias", "Alexander", "Sebastian", "Daniel", "Lukas", "Horst", "Günter", "Werner", "Heinz",
    "Karl", "Matthias",
)  # fmt: skip
# The most common German surnames with rough relative frequencies (entries per ~10,000 in
# telephone directories, rounded), so one surname comes back several times in one week and
# Fallgruppe as in real data. Spellings that differ only by an umlaut, ß or case are different
# people with different fall_ids (domain.md §3), but MariaDB's default collation folds them
# together (Müller = Muller, Weiß = Weiss, Kühn = Kuhn): the partners are listed at their own,
# smaller real-world rates. Umlauts and ß also exercise the duplicate key (casefold) and sorting.
SURNAME_WEIGHTS = (
    ("Müller", 256), ("Schmidt", 190), ("Schneider", 115), ("Fischer", 98), ("Weber", 85),
    ("Meyer", 80), ("Wagner", 80), ("Becker", 75), ("Schulz", 73), ("Hoffmann", 72),
    ("Schäfer", 60), ("Koch", 57), ("Bauer", 57), ("Richter", 55), ("Klein", 54), ("Wolf", 50),
    ("Schröder", 48), ("Neumann", 47), ("Schwarz", 46), ("Zimmermann", 45), ("Braun", 43),
    ("Krüger", 42), ("Hofmann", 42), ("Hartmann", 41), ("Lange", 40), ("Schmitt", 40),
    ("Werner", 39), ("Schmitz", 38), ("Krause", 38), ("Meier", 37), ("Lehmann", 36),
    ("Schmid", 36), ("Schulze", 35), ("Maier", 35), ("Köhler", 34), ("Herrmann", 33),
    ("König", 32), ("Walter", 32), ("Mayer", 31), ("Huber", 31), ("Kaiser", 30), ("Fuchs", 30),
    ("Peters", 29), ("Lang", 29), ("Scholz", 29), ("Möller", 28), ("Weiß", 28), ("Jung", 27),
    ("Hahn", 27), ("Schubert", 26), ("Vogel", 26), ("Friedrich", 26), ("Keller", 25),
    ("Günther", 25), ("Frank", 25), ("Berger", 24), ("Winkler", 24), ("Roth", 23), ("Beck", 23),
    ("Lorenz", 23), ("Baumann", 22), ("Franke", 22), ("Albrecht", 22), ("Kuhn", 22),
    ("Schuster", 21), ("Simon", 21), ("Ludwig", 21), ("Böhm", 21), ("Winter", 20), ("Kraus", 20),
    ("Martin", 20), ("Schumacher", 20), ("Krämer", 20), ("Vogt", 19), ("Stein", 19),
    ("Jäger", 19), ("Otto", 19), ("Sommer", 18), ("Groß", 18), ("Seidel", 18), ("Heinrich", 18),
    ("Kramer", 15), ("Hübner", 15), ("Weiss", 12), ("Köster", 10), ("Kühn", 9), ("Gross", 8),
    ("Schüler", 8), ("Strauß", 7), ("Schuler", 5), ("Strauss", 4), ("Kohler", 3), ("Koster", 2),
    ("Schafer", 2), ("Muller", 1), ("Schroder", 1), ("Kruger", 1), ("Bohm", 1), ("Hubner", 1),
    ("Jager", 1), ("Moller", 1),
)  # fmt: skip
LAST_NAMES = tuple(name for name, _weight in SURNAME_WEIGHTS)
# Each surname `weight` times: a uniform pick from the pool is a pick at the real-world rate.
SURNAME_POOL = tuple(name for name, weight in SURNAME_WEIGHTS for _ in range(weight))
# Some source systems and clerks type surnames in capitals (MÜLLER next to Müller, WEISS).
P_SURNAME_IN_CAPITALS = 0.01


def surname_for(rng: random.Random) -> str:
    """A surname at its real-world rate, now and then in capitals as some entries are."""
    nachname = rng.choice(SURNAME_POOL)
    return nachname.upper() if rng.random() < P_SURNAME_IN_CAPITALS else nachname


# Share of Erstberatungen per Fallgruppe (percent).
FALLGRUPPE_WEIGHTS = {"onko": 40, "kardio": 25, "galle": 12, "sd": 13, "intensiv": 10}


@dataclass(frozen=True)
class Thema:
    text: str
    codes: tuple[str, ...]  # one of these is the main diagnosis
    geschlecht: str | None = None  # only for diagnoses tied to one sex


THEMEN: dict[str, tuple[Thema, ...]] = {
    "onko": (
        Thema("Mammakarzinom – Operation und adjuvante Therapie", ("C50.1", "C50.4", "C50.9"), "w"),
        Thema("Bronchialkarzinom – Empfehlung der Tumorkonferenz", ("C34.1", "C34.3", "C34.9")),
        Thema("Prostatakarzinom – Prostatektomie oder Bestrahlung", ("C61",), "m"),
        Thema("Kolonkarzinom – Hemikolektomie", ("C18.7", "C18.2", "C18.0")),
        Thema("Rektumkarzinom – neoadjuvante Therapie", ("C20",)),
        Thema("Pankreaskarzinom – Operation nach Whipple", ("C25.0",)),
    ),
    "kardio": (
        Thema("Koronare Herzkrankheit – Bypass oder Stent", ("I25.11", "I25.12", "I25.13")),
        Thema("Aortenklappenstenose – TAVI oder Klappenersatz", ("I35.0",)),
        Thema("Vorhofflimmern – Katheterablation", ("I48.0", "I48.1")),
        Thema("Herzinsuffizienz – Defibrillator-Implantation", ("I50.13", "I50.14")),
        Thema("Mitralklappeninsuffizienz – Rekonstruktion", ("I34.0",)),
    ),
    "galle": (
        Thema("Gallensteine – Cholezystektomie", ("K80.20", "K80.10", "K80.00")),
        Thema("Chronische Cholezystitis – Operation", ("K81.1",)),
        Thema("Gallenblasenpolyp – Entfernung der Gallenblase", ("K82.8",)),
    ),
    "sd": (
        Thema("Knotenstruma – Thyreoidektomie", ("E04.1", "E04.2")),
        Thema("Morbus Basedow – Radiojodtherapie oder Operation", ("E05.0",)),
        Thema("Schilddrüsenkarzinom – Nachbehandlung", ("C73",)),
        Thema("Autonomes Adenom – Radiojodtherapie", ("E05.1",)),
    ),
    "intensiv": (
        Thema("Akutes Lungenversagen – Beatmungstherapie", ("J96.00", "J80.03")),
        Thema("Sepsis – Therapiezieländerung", ("A41.9",)),
        Thema("Langzeitbeatmung – Weaning", ("J96.10",)),
        Thema("Zustand nach Reanimation – Prognose", ("I46.9",)),
        Thema("Pneumonie mit Lungenversagen", ("J18.9",)),
    ),
}
# Accompanying diagnoses, added to some cases as a second code.
NEBENDIAGNOSEN: dict[str, tuple[str, ...]] = {
    "onko": ("C79.5", "C78.0", "C77.3", "C78.7"),
    "kardio": ("I10.00", "E11.90", "E78.0"),
    "galle": ("K81.0", "E66.0"),
    "sd": ("E89.0", "E03.9"),
    "intensiv": ("R65.1", "G93.1", "Z99.1"),
}
ALTER = {"onko": (45, 85), "kardio": (45, 88), "galle": (28, 80), "sd": (25, 75)}
ALTER_INTENSIV = (35, 90)

KLINIKEN = (
    "Klinikum Musterstadt",
    "St.-Beispiel-Krankenhaus Demohausen",
    "Universitätsklinikum Fiktivbach",
    "Kreiskrankenhaus Erfundingen",
    "Evangelisches Krankenhaus Beispielstadt",
    "Städtisches Klinikum Modellheim",
)
GUTACHTER = {
    "onko": ("Tumorzentrum Musterstadt", "Onkologisches Zentrum Fiktivbach"),
    "kardio": ("Herzzentrum Demohausen", "Kardiologie-Zentrum Beispielstadt"),
    "galle": ("Viszeralchirurgie Modellheim", "Chirurgisches Zentrum Erfundingen"),
    "sd": ("Schilddrüsenzentrum Musterstadt", "Endokrinologie Fiktivbach"),
    "intensiv": ("Intensivmedizin Demohausen", "Zentrum für Beatmungsmedizin Beispielstadt"),
}
BEARBEITER = ("L. Hansen", "M. Petersen", "S. Yilmaz", "J. Nowak", "K. Albers", "T. Brandt")
FRAGESTELLUNGEN = (
    "Ist der empfohlene Eingriff notwendig?",
    "Gibt es eine schonendere Behandlungsalternative?",
    "Entspricht die vorgeschlagene Therapie den Leitlinien?",
    "Welche Risiken hat der Eingriff in meinem Alter?",
    "Ist jetzt der richtige Zeitpunkt für die Behandlung?",
)
ABLEHNUNGSGRUENDE = (
    "Versicherte Person wünscht keine Zweitmeinung mehr",
    "Eingriff bereits erfolgt",
    "Kein zweitmeinungsfähiger Eingriff",
    "Nicht bei der DAK versichert",
)
ABBRUCHGRUENDE = (
    "Unterlagen unvollständig",
    "Versicherte Person nicht mehr erreichbar",
    "Behandlung bereits begonnen",
)
BETRAG = {"onko": "950.00", "kardio": "900.00", "galle": "650.00", "sd": "650.00"}
BETRAG_INTENSIV = "1100.00"
KONTAKTKANAELE = (("telefon", 70), ("email", 15), ("portal", 10), ("post", 5))

# Outcome shares for a week whose cases have run their course.
P_UNTERLAGEN = 0.55  # documents arrive
P_GUTACHTEN = 0.35  # of the cases with documents
P_ABBRUCH_NACH_UNTERLAGEN = 0.12  # of the cases with documents but no Gutachten
P_ABLEHNUNG = 0.30  # of the cases without documents
P_ABBRUCH_OHNE_UNTERLAGEN = 0.06  # of the cases without documents and no Ablehnung
P_ABLEHNUNG_UND_ABBRUCH = 0.05  # historical data sometimes has both
P_NIE_CODIERT = 0.04  # Gutachten that stay in the coding queue
P_NIE_ICD = 0.08  # cases that never get ICD codes
P_ALTERNATIVE = 0.38
P_TA_JA = {"Alternative": 0.75, "Bestätigung": 0.12}
TA_FLAGS = (("ta_diagnosekorrektur", 35), ("ta_unterversorgung", 30), ("ta_uebertherapie", 45))

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def demo_weeks(today: dt.date, weeks: int | None = None) -> list[tuple[int, int]]:
    """The ISO weeks to fill: the last `weeks` weeks, or ISO years today-2 and today-1 in full
    plus the current ISO year up to the current week."""
    jahr, kw = rules.iso_week(today)
    if weeks is not None:
        monday = rules.monday_of_iso_week(jahr, kw)
        return [rules.iso_week(monday - dt.timedelta(weeks=back)) for back in range(weeks)][::-1]
    result = []
    for year in (jahr - 2, jahr - 1):
        result.extend((year, week) for week in range(1, rules.weeks_in_iso_year(year) + 1))
    result.extend((jahr, week) for week in range(1, kw + 1))
    return result


def kvnr_for(rng: random.Random) -> str:
    """A KVNR of valid form with a correct check digit (random digits, no real person)."""
    stem = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + f"{rng.randrange(10**8):08d}"
    return f"{stem}{rules.kvnr_check_digit(stem)}"


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(rng.randint(8, 17), rng.randrange(60)), tzinfo=rules.BERLIN
    )


@dataclass
class DemoCase:
    """One generated case as field values plus its ICD codes (not yet saved)."""

    values: dict
    codes: list[str] = field(default_factory=list)


def _week_size(rng: random.Random, monday: dt.date, today: dt.date, per_week: int) -> int:
    size = rng.randint(per_week - per_week // 6, per_week + per_week // 6)
    workdays_done = min((today - monday).days + 1, 5)
    # The current week has only the days so far.
    return max(1, size * workdays_done // 5) if workdays_done < 5 else size


def build_week(
    jahr: int,
    kw: int,
    *,
    today: dt.date,
    per_week: int = DEMO_PER_WEEK,
    seed: int = DEMO_SEED,
    admin_id: int | None = None,
    dak_id: int | None = None,
) -> list[DemoCase]:
    """The demo cases of one ISO week, in date order; the same inputs give the same cases."""
    # Reproducible on purpose (same demo data on every machine); nothing here is a secret.
    rng = random.Random(f"{seed}:{jahr}:{kw}")  # noqa: S311
    monday = rules.monday_of_iso_week(jahr, kw)
    last_day = min((today - monday).days, 4)
    quelle = "historisch" if jahr < rules.iso_week(today)[0] - 1 else "crm_csv"
    fallgruppen = list(FALLGRUPPE_WEIGHTS.items())
    cases = []
    for number in range(1, _week_size(rng, monday, today, per_week) + 1):
        datum = monday + dt.timedelta(days=rng.randint(0, last_day))
        fallgruppe = _weighted(rng, fallgruppen)
        case = _build_case(rng, datum, fallgruppe, today, admin_id, dak_id)
        case.values.update(
            crm_ticket_id=f"{DEMO_TICKET_PREFIX}{jahr}-{kw:02d}-{number:03d}", quelle=quelle
        )
        cases.append(case)
    cases.sort(key=lambda c: c.values["datum"])
    return cases


def _build_case(rng, datum, fallgruppe, today, admin_id, dak_id) -> DemoCase:
    thema = rng.choice(THEMEN[fallgruppe])
    geschlecht = thema.geschlecht or rng.choice("wm")
    if thema.geschlecht is None and rng.random() < 0.01:
        geschlecht = "d"
    vorname = rng.choice(FIRST_NAMES_M if geschlecht == "m" else FIRST_NAMES_W)
    nachname = surname_for(rng)
    low, high = ALTER.get(fallgruppe, ALTER_INTENSIV)
    geburtsdatum = None
    if rng.random() > 0.03:
        geburtsdatum = datum - dt.timedelta(days=rng.randint(low * 365, high * 365))
    kvnr = None
    if rng.random() > 0.05:
        kvnr = kvnr_for(rng)
        if rng.random() < 0.01:  # a typo: kept and flagged, as the rules say
            kvnr = kvnr[:-1] + str((int(kvnr[-1]) + 1) % 10)
    email = ""
    if rng.random() < 0.3:
        email = f"{vorname}.{nachname}".lower().translate(_TRANSLIT) + "@example.org"
    values = {
        "datum": datum,
        "fallgruppe": fallgruppe,
        "thema": thema.text,
        "nachname": nachname,
        "vorname": vorname,
        "geburtsdatum": geburtsdatum,
        "kvnr": kvnr,
        "geschlecht": geschlecht,
        "email": email,
        "bearbeiter": rng.choice(BEARBEITER),
        "kontaktkanal": _weighted(rng, KONTAKTKANAELE),
        "kurzbeschreibung": f"{thema.text.split(' – ')[0]}, Behandlung empfohlen",
        "fragestellung": rng.choice(FRAGESTELLUNGEN),
        "behandelnde_klinik": rng.choice(KLINIKEN),
        "bemerkung": DEMO_REMARK,
    }

    def happened(day):
        return day if day <= today else None

    values["unterlagen_angefordert_am"] = happened(datum + dt.timedelta(days=rng.randint(1, 3)))
    if rng.random() < P_UNTERLAGEN:
        _documents_path(rng, values, fallgruppe, today, happened, admin_id)
    else:
        _no_documents_path(rng, values, happened)

    codes = []
    icd_day = happened(datum + dt.timedelta(days=rng.randint(3, 40)))
    if icd_day and rng.random() > P_NIE_ICD:
        codes = [rng.choice(thema.codes)]
        if rng.random() < 0.3:
            codes.append(rng.choice(NEBENDIAGNOSEN[fallgruppe]))
        codes = rules.parse_icd(", ".join(codes))
        values.update(
            icd=rules.icd_join(codes), icd_entered_by_id=dak_id, icd_entered_at=_at(icd_day, rng)
        )
    return DemoCase(values, codes)


def _documents_path(rng, values, fallgruppe, today, happened, admin_id):
    eingang = happened(values["datum"] + dt.timedelta(days=rng.randint(5, 25)))
    if eingang is None:
        return  # still waiting for the documents
    values.update(unterlagen=True, unterlagen_eingang_am=eingang)
    if rng.random() < P_GUTACHTEN:
        gutachten_am = happened(eingang + dt.timedelta(days=rng.randint(7, 28)))
        if gutachten_am is None:
            return  # the expert is still writing
        values.update(
            gutachten=True, gutachten_am=gutachten_am, gutachter=rng.choice(GUTACHTER[fallgruppe])
        )
        _coding(rng, values, happened, admin_id)
        _billing(values, fallgruppe, gutachten_am, today)
    elif rng.random() < P_ABBRUCH_NACH_UNTERLAGEN:
        abbruch_am = happened(eingang + dt.timedelta(days=rng.randint(3, 20)))
        if abbruch_am:
            values.update(
                abbruch=True, abbruch_am=abbruch_am, abbruchgrund=rng.choice(ABBRUCHGRUENDE)
            )


def _no_documents_path(rng, values, happened):
    decided = happened(values["datum"] + dt.timedelta(days=rng.randint(2, 21)))
    if decided is None:
        return
    if rng.random() < P_ABLEHNUNG:
        values.update(ablehnung=True, ablehnungsgrund=rng.choice(ABLEHNUNGSGRUENDE))
        if rng.random() < P_ABLEHNUNG_UND_ABBRUCH:
            values.update(abbruch=True, abbruch_am=decided, abbruchgrund=ABBRUCHGRUENDE[1])
    elif rng.random() < P_ABBRUCH_OHNE_UNTERLAGEN:
        values.update(abbruch=True, abbruch_am=decided, abbruchgrund=rng.choice(ABBRUCHGRUENDE))


def _coding(rng, values, happened, admin_id):
    coded = happened(values["gutachten_am"] + dt.timedelta(days=rng.randint(1, 21)))
    if coded is None or rng.random() < P_NIE_CODIERT:
        return
    typ = "Alternative" if rng.random() < P_ALTERNATIVE else "Bestätigung"
    ta = "Ja" if rng.random() < P_TA_JA[typ] else "Nein"
    values.update(
        gutachten_typ=typ, therapieaenderung=ta, coding_by_id=admin_id, coding_at=_at(coded, rng)
    )
    if ta == "Ja":
        # With Ja at least one kind must be named (domain.md §4), sometimes two.
        flags = {_weighted(rng, TA_FLAGS) for _ in range(rng.choice((1, 1, 2)))}
        values.update(dict.fromkeys(flags, True))


def _billing(values, fallgruppe, gutachten_am, today):
    # Billed monthly: on the 10th of the month after the Gutachten.
    next_month = (gutachten_am.replace(day=1) + dt.timedelta(days=32)).replace(day=10)
    if next_month > today:
        return
    values.update(
        abgerechnet=True,
        abrechnungsdatum=next_month,
        rechnungsnummer=f"DEMO-RE-{next_month:%Y-%m}",
        betrag=Decimal(BETRAG.get(fallgruppe, BETRAG_INTENSIV)),
    )


# --- Saving -------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    weeks: list[tuple[int, int]]
    created: int = 0
    existing: int = 0
    icd_codes: int = 0


def seed_demo_cases(
    *,
    today: dt.date | None = None,
    weeks: int | None = None,
    per_week: int = DEMO_PER_WEEK,
    seed: int = DEMO_SEED,
    admin=None,
    dak_user=None,
    batch_size: int = 1000,
) -> SeedResult:
    """Create the demo cases of the period that do not exist yet (matched by CRM ticket id)."""
    from cases.models import Case, CaseICDCode, first_free_fall_ids

    today = today or rules.berlin_today()
    result = SeedResult(weeks=demo_weeks(today, weeks))
    existing = set(
        Case.objects.filter(crm_ticket_id__startswith=DEMO_TICKET_PREFIX).values_list(
            "crm_ticket_id", flat=True
        )
    )
    new = []
    for jahr, kw in result.weeks:
        for demo in build_week(
            jahr,
            kw,
            today=today,
            per_week=per_week,
            seed=seed,
            admin_id=admin.pk if admin else None,
            dak_id=dak_user.pk if dak_user else None,
        ):
            if demo.values["crm_ticket_id"] in existing:
                result.existing += 1
                continue
            case = Case(**demo.values)
            # bulk_create skips Case.save(), which would derive these.
            case.normalize()
            new.append((case, demo.codes))
    fall_ids = first_free_fall_ids([(c.jahr, c.kw, c.fallgruppe, c.nachname) for c, _ in new])
    for (case, _codes), fall_id in zip(new, fall_ids, strict=True):
        case.fall_id = fall_id

    with transaction.atomic():
        for start in range(0, len(new), batch_size):
            batch = new[start : start + batch_size]
            Case.objects.bulk_create([case for case, _ in batch])
            # Not every backend returns primary keys from a bulk insert; the ticket id is unique.
            ids = dict(
                Case.objects.filter(
                    crm_ticket_id__in=[case.crm_ticket_id for case, _ in batch]
                ).values_list("crm_ticket_id", "id")
            )
            icd_rows = [
                CaseICDCode(
                    case_id=ids[case.crm_ticket_id],
                    icd_code=code,
                    icd_hauptgruppe=rules.icd_hauptgruppe(code),
                )
                for case, codes in batch
                for code in codes
            ]
            CaseICDCode.objects.bulk_create(icd_rows)
            result.created += len(batch)
            result.icd_codes += len(icd_rows)
    return result


@dataclass
class DemoLogin:
    user: object
    password: str
    created: bool
    password_reset: bool = False
    totp_secret: str | None = None
    totp_uri: str | None = None


def _ensure_user(email, password, role, first_name, last_name) -> DemoLogin:
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.filter(email__iexact=email).first()
    login = DemoLogin(user, password, created=user is None)
    if user is None:
        login.user = user = User.objects.create_user(
            email=email, password=password, role=role, first_name=first_name, last_name=last_name
        )
    else:
        changed = []
        if user.role != role or not user.is_active:
            user.role, user.is_active = role, True
            changed += ["role", "is_active"]
        # The printed password must work, so a changed demo password is set back.
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
            login.password_reset = True
        if changed:
            user.save(update_fields=changed)
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    return login


def ensure_demo_users() -> list[DemoLogin]:
    """The demo admin (with a confirmed TOTP device) and the demo DAK user; idempotent."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Role

    with transaction.atomic():
        admin = _ensure_user(ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN, "Demo", "Administrator")
        dak = _ensure_user(DAK_EMAIL, DAK_PASSWORD, Role.DAK_MITARBEITER, "Demo", "DAK")
        device = TOTPDevice.objects.filter(user=admin.user, name=DEMO_TOTP_DEVICE_NAME).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=admin.user, name=DEMO_TOTP_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True
            )
        elif device.key != DEMO_TOTP_KEY or not device.confirmed:
            device.key, device.confirmed = DEMO_TOTP_KEY, True
            device.save(update_fields=["key", "confirmed"])
    admin.totp_secret = base64.b32encode(device.bin_key).decode()
    admin.totp_uri = device.config_url
    return [admin, dak]
