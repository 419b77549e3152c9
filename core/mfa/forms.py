"""The one field of the MFA pages: a code from the authenticator app (or a backup code)."""

from __future__ import annotations

from django import forms


class OTPCodeForm(forms.Form):
    """A six-digit TOTP code, or (on the verification page) one of the eight-character backup codes."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}),
    )

    def clean_code(self) -> str:
        return "".join(str(self.cleaned_data["code"]).split()).replace("-", "")
