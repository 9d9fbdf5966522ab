"""The 2FA setup page (§6): the QR code keeps its quiet zone and its own space, the key is shown
in blocks of four."""

import re

import pytest
import segno
from defusedxml import ElementTree as ET
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import Role, User

SETUP_URL = reverse("konto:mfa_setup")
PASSWORD = "Sicheres-Testpasswort-2026"


@pytest.mark.django_db
def test_the_key_is_shown_in_blocks_of_four(client, admin_user):
    client.force_login(admin_user)
    content = client.get(SETUP_URL).content.decode()
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    shown = re.search(r'data-testid="totp-secret">([^<]+)<', content).group(1)
    blocks = shown.split(" ")
    assert all(len(block) == 4 for block in blocks[:-1]) and 1 <= len(blocks[-1]) <= 4
    assert "".join(blocks) == mfa.secret_base32(device)


@pytest.mark.django_db
def test_the_qr_code_has_a_quiet_zone_of_four_modules_and_no_fixed_size(admin_user):
    device = mfa.setup_device(admin_user)
    svg = ET.fromstring(mfa.qr_svg(device))
    assert "width" not in svg.attrib and "height" not in svg.attrib
    qr = segno.make(device.config_url, error="m")
    modules = qr.symbol_size(scale=1, border=0)[0]
    _, _, width, _ = (float(v) for v in svg.attrib["viewBox"].split())
    scale = width / (modules + 2 * mfa.QR_QUIET_ZONE)
    assert scale == int(scale)  # whole pixels per module, quiet zone included
    assert mfa.QR_QUIET_ZONE == 4


def _boxes_overlap(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1024, 768, 390])
def test_the_qr_code_overlaps_neither_key_nor_code_field(page, width):
    User.objects.create_user(
        # A long address makes a long otpauth URI and so a big QR code.
        email="erika.mustermann-schulze@xn--mller-praxis-dlb.de",
        password=PASSWORD,
        role=Role.ADMIN,
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(reverse("account_login"))
    page.fill("input[name=login]", "erika.mustermann-schulze@xn--mller-praxis-dlb.de")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"**{SETUP_URL}")
    # All boxes in one go, in page coordinates: the autofocused code field scrolls the page.
    boxes = page.evaluate(
        """() => Object.fromEntries(Object.entries({
            qr: ".qr-code svg", column: ".qr-code", key: "[data-testid=totp-secret]",
            code: "input[name=code]",
        }).map(([name, selector]) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return [name, {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}];
        }))"""
    )
    qr, column = boxes["qr"], boxes["column"]
    assert qr["width"] >= 150  # still big enough to scan
    assert column["x"] - 0.5 <= qr["x"] <= column["x"] + column["width"] - qr["width"] + 0.5
    assert column["y"] - 0.5 <= qr["y"] <= column["y"] + column["height"] - qr["height"] + 0.5
    assert not _boxes_overlap(qr, boxes["key"])
    assert not _boxes_overlap(qr, boxes["code"])
