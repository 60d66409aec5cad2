"""The API tokens page: a user makes tokens for their scripts and revokes them. A new
token is shown once, on the answer to the form that made it; only its digest is kept."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from ..models import ApiToken
from ..services import DEFAULT_LIFETIME, LIFETIMES, token_create, token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What it is for", widget=forms.TextInput(attrs={"placeholder": "e.g. playlist script"}))
    lifetime = forms.ChoiceField(
        choices=[("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("never", "never expires")],
        initial=DEFAULT_LIFETIME, label="Expires after",
    )


@require_http_methods(["GET", "POST"])
def token_page(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = token_create(user=request.user, name=form.cleaned_data["name"],
                                     days=LIFETIMES[form.cleaned_data["lifetime"]])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    status = 400 if form.errors else 200
    response = render(request, "api/tokens.html", {"form": form, "tokens": tokens, "secret": secret}, status=status)
    add_never_cache_headers(response)  # the page may show a token: no cache keeps it
    return response


@require_POST
def token_revoke_view(request, pk: int):
    """Revoke one of your own tokens; another user's is not found."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token)
    messages.success(request, f"Token {token.prefix}… ({token.name}) is revoked: requests with it now get 401.")
    return redirect("api:tokens")
