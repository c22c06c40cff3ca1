"""URL routing: rules, converters, a matcher and a map (bind, then match or build).

Werkzeug's routing API, written for tapster::

    url_map = Map([Rule("/", endpoint="index"), Rule("/user/<int:id>", endpoint="user")])
    adapter = url_map.bind_to_environ(environ)
    endpoint, view_args = adapter.match()        # ("user", {"id": 42})
    adapter.build("user", {"id": 7, "tab": "x"})  # "/user/7?tab=x"

It needs no application: a bare WSGI environ (or ``Map.bind``) is enough.
"""

from .converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from .exceptions import (
    BuildError,
    NoMatch,
    RequestPath,
    RequestRedirect,
    RoutingException,
    WebsocketMismatch,
)
from .map import Map, MapAdapter
from .matcher import StateMachineMatcher
from .rules import (
    EndpointPrefix,
    Rule,
    RuleFactory,
    RuleTemplate,
    RuleTemplateFactory,
    Subdomain,
    Submount,
    UnknownConverterError,
    parse_converter_args,
)

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "EndpointPrefix",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "NoMatch",
    "NumberConverter",
    "PathConverter",
    "RequestPath",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "RuleFactory",
    "RuleTemplate",
    "RuleTemplateFactory",
    "StateMachineMatcher",
    "Subdomain",
    "Submount",
    "UUIDConverter",
    "UnicodeConverter",
    "UnknownConverterError",
    "ValidationError",
    "WebsocketMismatch",
    "parse_converter_args",
]
