"""Blueprints: a group of routes, hooks, handlers and files, registered on an app later.

A blueprint records what is registered on it as deferred functions; when
the app registers the blueprint, each runs with a ``BlueprintSetupState``
that knows the URL prefix, subdomain and name for *this* registration, so a
blueprint can be registered twice under different names and prefixes.
Endpoints become ``blueprint.endpoint`` (``parent.child.endpoint`` when
nested), and the blueprint's hooks and error handlers apply only to its own
requests; the ``app_*`` variants register on the app.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .scaffold import Scaffold, registering, setupmethod

if TYPE_CHECKING:
    from .app import App

__all__ = ["Blueprint", "BlueprintSetupState"]

F = TypeVar("F", bound=Callable[..., Any])
DeferredSetupFunction = Callable[["BlueprintSetupState"], None]

#: ``cli_group`` left unset: the blueprint's commands go in a group named after it.
_DEFAULT_CLI_GROUP: Any = object()


class BlueprintSetupState:
    """One registration of a blueprint on an app: where its rules go and under what name."""

    def __init__(
        self, blueprint: Blueprint, app: App, options: dict[str, Any], first_registration: bool
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        #: Whether this is the blueprint's first registration on the app.
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain: str | None = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults: dict[str, Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Add a rule to the app, under this registration's prefix, subdomain and name."""
        if self.url_prefix is not None:
            rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/"))) if rule else (
                self.url_prefix
            )
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = view_func.__name__  # type: ignore[union-attr]
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of views and hooks to register on an app (``app.register_blueprint(bp)``)."""

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _DEFAULT_CLI_GROUP,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults: dict[str, Any] = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint "
                f"'{self.name}'. It has already been registered at least once, any changes "
                "will not be applied consistently.\nMake sure all imports, decorators, "
                "functions, etc. needed to set up the blueprint are done before registering "
                "it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` at each registration of this blueprint."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` at the first registration on each app only."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: App, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state of one registration (subclasses may return their own)."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: its prefix, subdomain and name build on this one's."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: App, options: dict[str, Any]) -> None:
        """Register on ``app`` (``app.register_blueprint`` calls this)."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            whose = "this" if app.blueprints[name] is self else "a different"
            raise ValueError(
                f"The name '{self_name}' is already registered for {whose} blueprint. Use "
                "'name=' to provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, name, options)
        for blueprint, nested_options in self._blueprints:
            blueprint.register(app, self._nested_options(state, blueprint, nested_options, name))

    def _register_cli(self, app: App, name: str, options: dict[str, Any]) -> None:
        if "cli" not in self.__dict__ or not self.cli.commands:
            return
        group = options.get("cli_group", self.cli_group)
        if group is None:  # the commands go straight into the app's group
            app.cli.commands.update(self.cli.commands)
            return
        self.cli.name = name if group is _DEFAULT_CLI_GROUP else group
        app.cli.add_command(self.cli)

    @staticmethod
    def _nested_options(
        state: BlueprintSetupState, blueprint: Blueprint, options: dict[str, Any], name: str
    ) -> dict[str, Any]:
        """A nested blueprint's options: prefix and subdomain joined to its parent's."""
        options = options.copy()
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        if state.subdomain is not None and subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            options["subdomain"] = subdomain
        elif state.subdomain is not None:
            options["subdomain"] = state.subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            options["url_prefix"] = f"{state.url_prefix.rstrip('/')}/{url_prefix.lstrip('/')}"
        elif url_prefix is not None:
            options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix
        options["name_prefix"] = name
        return options

    def _merge_blueprint_funcs(self, app: App, name: str) -> None:
        """Copy this blueprint's hooks and handlers into the app, scoped under ``name``."""

        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            app.error_handler_spec[scoped(key)] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in by_code.items()}
            )
        for attribute in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
        ):
            app_functions = getattr(app, attribute)
            for key, functions in getattr(self, attribute).items():
                app_functions[scoped(key)].extend(functions)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Record a rule, added to the app (prefixed and named) when the blueprint is registered."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- registrations on the app ------------------------------------------------------

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like ``App.before_request``: runs before every request of the app."""
        self.record_once(lambda s: s.app.before_request_funcs[None].append(f))
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like ``App.after_request``: runs after every request of the app."""
        self.record_once(lambda s: s.app.after_request_funcs[None].append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like ``App.teardown_request``: runs at the end of every request of the app."""
        self.record_once(lambda s: s.app.teardown_request_funcs[None].append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like ``App.context_processor``: for every template of the app."""
        self.record_once(lambda s: s.app.template_context_processors[None].append(f))
        return f

    @setupmethod
    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[F], F]:
        """Like ``App.errorhandler``: handles errors of every request of the app."""

        def decorator(f: F) -> F:
            self.record_once(lambda s: s.app.errorhandler(code)(f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``App.url_value_preprocessor``: for every request of the app."""
        self.record_once(lambda s: s.app.url_value_preprocessors[None].append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like ``App.url_defaults``: for every URL the app builds."""
        self.record_once(lambda s: s.app.url_default_functions[None].append(f))
        return f

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Register a template filter on the app (``{{ value|name }}``)."""

        return registering(self.add_app_template_filter, name)

    @setupmethod
    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as an app-wide template filter."""
        self.record_once(lambda s: s.app.add_template_filter(f, name=name))

    @setupmethod
    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Register a template test on the app (``{% if value is name %}``)."""

        return registering(self.add_app_template_test, name)

    @setupmethod
    def add_app_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as an app-wide template test."""
        self.record_once(lambda s: s.app.add_template_test(f, name=name))

    @setupmethod
    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Register a template global on the app."""

        return registering(self.add_app_template_global, name)

    @setupmethod
    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as an app-wide template global."""
        self.record_once(lambda s: s.app.add_template_global(f, name=name))
