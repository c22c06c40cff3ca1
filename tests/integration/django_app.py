"""A small Django project in one module, served unchanged by ``tapster serve``.

``tests/integration/test_django.py`` runs ``tapster serve
tests.integration.django_app:application`` and talks to it with requests and
curl. Settings are configured in code so that no project folder is needed;
everything else is what ``django-admin startproject`` gives a WSGI server:
``get_wsgi_application()``.
"""

from __future__ import annotations

import hashlib

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="tapster-tests-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost", "public.example"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    USE_TZ=True,
    USE_X_FORWARDED_HOST=False,  # tapster applies trusted X-Forwarded-* to the environ itself
    DATA_UPLOAD_MAX_MEMORY_SIZE=2 * 1024 * 1024,
    FILE_UPLOAD_MAX_MEMORY_SIZE=64 * 1024,  # larger uploads go to a temporary file
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after setup()
from django.http import (  # noqa: E402
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.middleware.csrf import get_token  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


def hello(request: HttpRequest, name: str) -> JsonResponse:
    return JsonResponse({
        "hello": name,
        "path": request.path,
        "query": request.GET.getlist("q"),
        "absolute": request.build_absolute_uri(),
        "secure": request.is_secure(),
        "remote": request.META["REMOTE_ADDR"],
    })


@csrf_exempt
def echo(request: HttpRequest) -> JsonResponse:
    body = request.body
    return JsonResponse({
        "method": request.method,
        "type": request.content_type,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    })


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    upload = request.FILES["file"]
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return JsonResponse({"title": request.POST["title"], "name": upload.name,
                         "size": upload.size, "sha256": digest.hexdigest()})


def note(request: HttpRequest) -> HttpResponse:
    """A form protected by Django's CSRF middleware: GET gives the token, POST needs it."""
    if request.method == "POST":
        return HttpResponse(f"saved: {request.POST['text']}", content_type="text/plain")
    return HttpResponse(get_token(request), content_type="text/plain")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse((f"line {number}\n" for number in range(2000)),
                                 content_type="text/plain")


def source(request: HttpRequest) -> FileResponse:
    # FileResponse hands its file to wsgi.file_wrapper: tapster sends it with sendfile.
    return FileResponse(open(__file__, "rb"), content_type="text/x-python")


urlpatterns = [
    path("hello/<str:name>", hello),
    path("echo", echo),
    path("upload", upload),
    path("note", note),
    path("stream", stream),
    path("source", source),
]

application = get_wsgi_application()
