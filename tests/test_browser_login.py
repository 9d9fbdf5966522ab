import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dak_user_logs_in_and_reaches_the_start_page(page, dak_user, password):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=dak_user, email=dak_user.email, verified=True, primary=True)
    page.goto("/")
    assert "/konto/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "de"
    page.fill("input[name=login]", dak_user.email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="ICD-Codierung offen").is_visible()
