from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Registration is closed unless an allowed domain or an invitation opens it."""

    def is_open_for_signup(self, request):
        return False
