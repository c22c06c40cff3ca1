"""Signals (blinker): subscribe to moments of a request's life, as with Flask's.

``template_rendered.connect(receiver, app)`` and the like. The app sends
each only when it has receivers, so unused signals cost nothing per request.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

_signals = Namespace()

#: A template was rendered: ``(app, template=, context=)``.
template_rendered = _signals.signal("template-rendered")
#: A template is about to be rendered: ``(app, template=, context=)``.
before_render_template = _signals.signal("before-render-template")
#: A request context was pushed, before the hooks run: ``(app)``.
request_started = _signals.signal("request-started")
#: The response is final, before it is sent: ``(app, response=)``.
request_finished = _signals.signal("request-finished")
#: The request context is being popped: ``(app, exc=)``.
request_tearing_down = _signals.signal("request-tearing-down")
#: An unhandled exception reached ``handle_exception``: ``(app, exception=)``.
got_request_exception = _signals.signal("got-request-exception")
#: The app context is being popped: ``(app, exc=)``.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: An app context was pushed: ``(app)``.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: An app context was popped: ``(app)``.
appcontext_popped = _signals.signal("appcontext-popped")
#: ``flash()`` was called: ``(app, message=, category=)``.
message_flashed = _signals.signal("message-flashed")
