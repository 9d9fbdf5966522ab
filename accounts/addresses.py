"""E-mail addresses and domains in the one form the portal stores and compares.

Who may register by domain is decided by comparing domains (domain.md §2), so every place that
does so — the sign-up form, the role lookup, the admin's list of allowed domains (portal page and
Django admin) and the login — goes through `normalise_domain` / `normalise_email`:

- lower case;
- non-ASCII labels as IDNA 2008 A-labels (punycode, `dák.de` → `xn--dk-mia.de`), with the
  `idna` package. Python's built-in "idna" codec implements IDNA 2003, which *maps* characters
  (`straße.de` → `strasse.de`, fullwidth letters → ASCII): exactly the folding that must never
  turn a look-alike into an allowed domain. IDNA 2008 refuses what it cannot represent instead;
- refused (German message), never mapped, when the text is not already in NFKC form: fullwidth
  `ｄak.de`, ligatures, superscripts and other compatibility characters look like, or become,
  other characters.

The stored address is the normalised one, so mail goes to exactly the domain that was checked.
"""

import unicodedata

import idna
from django.core.exceptions import ValidationError

DOMAIN_LOOKALIKE_MESSAGE = (
    "Die Domain enthält Sonderformen von Zeichen (z. B. Vollbreiten- oder "
    "Kompatibilitätszeichen), die wie andere Zeichen aussehen. Bitte geben Sie sie mit "
    "gewöhnlichen Zeichen ein."
)
EMAIL_LOOKALIKE_MESSAGE = (
    "Die E-Mail-Adresse enthält Sonderformen von Zeichen (z. B. Vollbreiten- oder "
    "Kompatibilitätszeichen), die wie andere Zeichen aussehen. Bitte geben Sie sie mit "
    "gewöhnlichen Zeichen ein."
)
DOMAIN_INVALID_MESSAGE = "Bitte geben Sie eine gültige Domain wie dak.de an (ohne @)."
EMAIL_INVALID_MESSAGE = "Bitte geben Sie eine gültige E-Mail-Adresse ein."

MAX_DOMAIN_LENGTH = 253


def _changes_under_nfkc(text):
    return unicodedata.normalize("NFKC", text) != text


def normalise_domain(value):
    """The domain as stored and compared: lower case, IDNA 2008 A-labels.

    Raises ValidationError (German) for look-alike characters and for anything that is not a
    domain with at least two labels.
    """
    domain = (value or "").strip()
    if _changes_under_nfkc(domain):
        raise ValidationError(DOMAIN_LOOKALIKE_MESSAGE, code="domain_lookalike")
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise ValidationError(DOMAIN_INVALID_MESSAGE, code="domain_invalid")
    try:
        # uts46=False: no mapping step; what is not valid IDNA 2008 as typed is refused.
        ascii_domain = idna.encode(domain, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValidationError(DOMAIN_INVALID_MESSAGE, code="domain_invalid") from exc
    if len(ascii_domain) > MAX_DOMAIN_LENGTH:
        raise ValidationError(DOMAIN_INVALID_MESSAGE, code="domain_invalid")
    return ascii_domain


def normalise_email(value):
    """The address as stored and compared: lower case, its domain normalised (see above)."""
    address = (value or "").strip()
    if _changes_under_nfkc(address):
        raise ValidationError(EMAIL_LOOKALIKE_MESSAGE, code="email_lookalike")
    local, at, domain = address.rpartition("@")
    if not at or not local:
        raise ValidationError(EMAIL_INVALID_MESSAGE, code="email_invalid")
    try:
        domain = normalise_domain(domain)
    except ValidationError as exc:
        code = "email_lookalike" if exc.code == "domain_lookalike" else "email_invalid"
        message = EMAIL_LOOKALIKE_MESSAGE if code == "email_lookalike" else EMAIL_INVALID_MESSAGE
        raise ValidationError(message, code=code) from exc
    return f"{local.lower()}@{domain}"


def email_domain(email):
    """The normalised domain after the last `@` (`x@evildak.de` → `evildak.de`), or "" when the
    address has none or cannot be normalised."""
    try:
        return normalise_email(email).rpartition("@")[2]
    except ValidationError:
        return ""


def login_name(value):
    """A typed login address in the stored form where it can be normalised, else lower-cased
    (it then matches no account, as it should)."""
    try:
        return normalise_email(value)
    except ValidationError:
        return (value or "").strip().lower()
