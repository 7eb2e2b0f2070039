from django import forms
from django.utils.translation import gettext_lazy as _

from posts.models import POST_MAX_LENGTH, Message, Post


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ("body",)
        labels = {"body": _("Say something")}
        widgets = {"body": forms.Textarea(attrs={"rows": 2, "maxlength": POST_MAX_LENGTH, "data-counter": ""})}


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ("body",)
        labels = {"body": _("Message")}
        widgets = {"body": forms.Textarea(attrs={"rows": 3, "maxlength": POST_MAX_LENGTH, "data-counter": ""})}
