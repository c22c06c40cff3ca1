"""Error pages: friendly HTML for people, JSON for the API.

One handler takes every HTTP error, including the 404 and 405 that routing
raises before any blueprint is chosen, so it tells the API by its path.
"""

from __future__ import annotations

from tapster import App, Response, current_app, make_response, render_template, request
from tapster.exceptions import HTTPException

from . import api
from .notes import human_size

#: A page title for the errors people meet; the others show their reason phrase.
TITLES = {
    400: "That did not work",
    403: "Not yours",
    404: "Nothing here",
    405: "Not like that",
    413: "That file is too big",
    500: "Something broke on our side",
}


def handle_http_error(error: HTTPException) -> Response:
    """The page (or JSON) for ``error``, with its status and fields such as ``Allow``."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return api.error_response(error)
    message = error.description or ""
    if error.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        message = (f"Attachments can be up to {human_size(limit)}. "
                   "Try a smaller file, or compress this one first." if limit else message)
    elif error.code == 404 and request.endpoint is None:
        message = "There is no page at this address. Check the link, or start again from home."
    page = render_template(
        "error.html", code=error.code, title=TITLES.get(error.code or 500, error.name),
        message=message,
    )
    response = make_response(page, error.code)
    for name, value in error.get_headers(request.environ):
        if name.lower() != "content-type":
            response.headers.add(name, value)
    return response


def init_app(app: App) -> None:
    """Send every HTTP error (and so every unhandled exception, as a 500) through the handler."""
    app.register_error_handler(HTTPException, handle_http_error)
