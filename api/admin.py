"""Curators make tokens for other accounts (a bot's, say) and revoke anyone's. A new
token is shown once, on the page that answers the form; the admin keeps its digest."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from .models import ApiToken
from .services import DEFAULT_LIFETIME, LIFETIMES, token_create, token_revoke


class ApiTokenAddForm(forms.ModelForm):
    lifetime = forms.ChoiceField(choices=[(k, k if k == "never" else f"{k} days") for k in LIFETIMES],
                                 initial=DEFAULT_LIFETIME, label="Expires after")

    class Meta:
        model = ApiToken
        fields = ("user", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "state", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("created_at", "revoked_at")
    search_fields = ("prefix", "name", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke"]
    readonly_fields = ("user", "name", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ("user", "name", "lifetime") if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing of a token is edited; it is revoked with the action
        token, secret = token_create(user=obj.user, name=obj.name, days=LIFETIMES[form.cleaned_data["lifetime"]],
                                     created_by=request.user)
        obj.pk, obj.prefix, obj.digest, obj.created_at = token.pk, token.prefix, token.digest, token.created_at
        obj._state.adding = False
        request.api_token_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        """The new token, once, instead of the usual redirect (no message storage holds it)."""
        context = {**self.admin_site.each_context(request), "title": "API token made", "token": obj,
                   "secret": request.api_token_secret, "opts": self.model._meta}
        response = TemplateResponse(request, "api/admin_token_made.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)
