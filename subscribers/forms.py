from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from papers.models import Topic

from .models import Frequency


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    topics = forms.ModelMultipleChoiceField(label=_("Topics"), queryset=Topic.objects.none(),
                                            widget=forms.CheckboxSelectMultiple,
                                            error_messages={"required": _("Choose at least one topic.")})
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, initial=Frequency.DAILY,
                                  widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language of the mail"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The topics readers can reach: those with something published.
        self.fields["topics"].queryset = Topic.objects.with_published().order_by("name")
