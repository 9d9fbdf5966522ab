"""Self-registration: allauth's sign-up view, with a unique-key race answered by the form."""

from allauth.account import views as allauth_views
from django.db import IntegrityError, transaction

# Shown only when a concurrent request registered the address between the form's check and the
# INSERT; says nothing about whether an account exists (allauth's enumeration protection then
# answers the next try as for any existing address).
SIGNUP_RACE_MESSAGE = (
    "Die Registrierung konnte gerade nicht abgeschlossen werden. Bitte senden Sie das Formular "
    "noch einmal ab."
)


class SignupView(allauth_views.SignupView):
    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except IntegrityError:
            form.add_error("email", SIGNUP_RACE_MESSAGE)
            return self.form_invalid(form)


signup = SignupView.as_view()
