"""Jinja2 templates: ``render_template``, ``render_template_string`` and their streaming forms.

The app's environment loads from the app's ``templates`` folder first, then
each blueprint's, in registration order (Flask's order). Every template
sees ``config``, ``request``, ``session``, ``g``, ``url_for`` and
``get_flashed_messages``, plus what the context processors return; names
passed to ``render_template`` win over both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from .globals import _cv_request, current_app
from .signals import before_render_template, template_rendered

if TYPE_CHECKING:
    from .app import App

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

class Environment(BaseEnvironment):
    """The Jinja2 environment of an app: it knows the app, and loads through its blueprints."""

    def __init__(self, app: App, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Look a template up in the app's folder, then in each blueprint's (first found wins)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The first loader that has ``template`` answers."""
        explain = self.app.config["EXPLAIN_TEMPLATE_LOADING"]
        attempts = []
        for owner, loader in self._loaders():
            try:
                source = loader.get_source(environment, template)
            except TemplateNotFound:
                attempts.append(owner)
                continue
            return source
        if explain:
            tried = ", ".join(repr(getattr(owner, "name", owner)) for owner in attempts)
            self.app.logger.info("Template %r not found; searched: %s", template, tried)
        if self.app.debug:
            # In debug mode the error says where it looked: the common mistake
            # is a folder name or a path relative to the wrong directory.
            folders = [folder if os.path.isdir(folder) else f"{folder} (does not exist)"
                       for _owner, loader in self._loaders()
                       for folder in getattr(loader, "searchpath", ())]
            where = ", ".join(folders) if folders else "no template folder is configured"
            raise TemplateNotFound(template, f"{template!r} not found; searched: {where}")
        raise TemplateNotFound(template)

    def _loaders(self) -> Iterator[tuple[Any, BaseLoader]]:
        if self.app.jinja_loader is not None:
            yield self.app, self.app.jinja_loader
        for blueprint in self.app.iter_blueprints():
            if blueprint.jinja_loader is not None:
                yield blueprint, blueprint.jinja_loader

    def list_templates(self) -> list[str]:
        """Every template name any loader knows."""
        names: set[str] = set()
        for _owner, loader in self._loaders():
            names.update(loader.list_templates())
        return sorted(names)


def _render(app: App, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template,
                                context=context)
    text = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                           context=context)
    return text


def render_template(template_name_or_list: str | Template | list[str | Template],
                    **context: Any) -> str:
    """Render a template from the templates folders (the first found of a list)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro (or any name) a template defines, to use from Python code.

    ``get_template_attribute("_macros.html", "hello")("World")`` calls the
    ``hello`` macro of ``_macros.html`` and returns what it renders.
    """
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def render_template_string(source: str, **context: Any) -> str:
    """Render a template given as a string (autoescaped like an ``.html`` file)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(app: App, template: Template, context: dict[str, Any]) -> Iterator[str]:
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template,
                                context=context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                               context=context)

    from .helpers import stream_with_context

    if _cv_request.get(None) is not None:
        return stream_with_context(generate())  # type: ignore[no-any-return]
    return generate()


def stream_template(template_name_or_list: str | Template | list[str | Template],
                    **context: Any) -> Iterator[str]:
    """Render a template piece by piece, for a streamed response; the request context is kept."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """``stream_template`` for a template given as a string."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)
