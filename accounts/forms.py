"""The confirmation Reset and Clean up my account ask for: a phrase typed, as Delete Cluster's."""

from django import forms


class CleanUpForm(forms.Form):
    confirmation = forms.CharField()

    def __init__(self, *args, phrase, **kwargs):
        super().__init__(*args, **kwargs)
        self.phrase = phrase
        field = self.fields["confirmation"]
        field.label = f"Type {phrase} to confirm"
        field.help_text = (
            f"Enter {phrase} in the field to confirm: what is removed cannot be had back."
        )

    def clean_confirmation(self):
        if self.cleaned_data["confirmation"].strip() != self.phrase:
            raise forms.ValidationError(f"Type {self.phrase}, exactly, to go on.")
        return self.cleaned_data["confirmation"]
