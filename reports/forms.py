from django import forms

from reports.services import ReportError, last_week, report_week_check


class GenerateForm(forms.Form):
    """Jahr and KW of the report to generate (admins); the week rules of the service."""

    jahr = forms.IntegerField(
        label="Jahr",
        error_messages={
            "required": "Bitte ein Jahr angeben.",
            "invalid": "Bitte ein Jahr als Zahl angeben.",
        },
    )
    kw = forms.IntegerField(
        label="KW",
        error_messages={
            "required": "Bitte eine KW angeben.",
            "invalid": "Bitte die KW als Zahl angeben.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            jahr, kw = last_week()
            self.initial = {"jahr": jahr, "kw": kw}

    def clean(self):
        data = super().clean()
        if "jahr" in data and "kw" in data:
            try:
                report_week_check(jahr=data["jahr"], kw=data["kw"])
            except ReportError as error:
                self.add_error("kw", str(error))
        return data
