"""Subscribe, confirm, unsubscribe: thin callers of subscribing.py. None of these pages is cached."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from papers.auth import client_address
from papers.models import Topic

from . import subscribing, tokens
from .forms import SubscribeForm


@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscribing.subscribe(data["email"], data["topics"], data["frequency"], data["language"],
                                      client_address(request))
            except subscribing.TooManyRequests:
                return render(request, "subscribers/subscribe.html", {"form": form, "throttled": True}, status=429)
            return render(request, "subscribers/asked.html", {"email": data["email"]})
    else:
        chosen = Topic.objects.filter(slug__in=request.GET.getlist("topic"))
        form = SubscribeForm(initial={"topics": chosen, "language": translation.get_language()})
    return render(request, "subscribers/subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button (mail scanners open links); following it confirms."""
    try:
        tokens.read_confirmation(token)
        if request.method == "GET":
            return render(request, "subscribers/confirm.html", {"token": token})
        subscriber = subscribing.confirm(token)
    except tokens.BadToken:
        return render(request, "subscribers/bad_link.html", status=400)
    return render(request, "subscribers/confirmed.html", {"subscriber": subscriber})


@csrf_exempt  # RFC 8058: mail systems POST here with no session; the signed token is the authority
@require_http_methods(["GET", "POST"])
def leave(request, token):
    try:
        tokens.read_leave(token)
        if request.method == "GET":
            return render(request, "subscribers/leave.html", {"token": token})
        subscriber = subscribing.leave(token)
    except tokens.BadToken:
        return render(request, "subscribers/bad_link.html", status=400)
    if request.POST.get("List-Unsubscribe") == "One-Click":
        return HttpResponse("unsubscribed\n", content_type="text/plain")
    return render(request, "subscribers/left.html", {"subscriber": subscriber})
