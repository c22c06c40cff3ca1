"""The framework's command line, in-process: app discovery, errors, routes, commands, dotenv."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner as ClickRunner

from tapster import App
from tapster.web.cli import (
    AppGroup,
    NoAppException,
    ScriptInfo,
    TapsterGroup,
    find_best_app,
    get_debug_flag,
    load_dotenv,
    prepare_import,
    routes_command,
    run_command,
    shell_command,
    with_appcontext,
)
from tapster.web.globals import current_app

try:
    import dotenv  # noqa: F401

    HAVE_DOTENV = True
except ImportError:
    HAVE_DOTENV = False

needs_dotenv = pytest.mark.skipif(
    not HAVE_DOTENV, reason="python-dotenv is not installed (it is in the 'test' extra)"
)


@pytest.fixture(autouse=True)
def restore_environment():
    """Commands set variables (TAPSTER_DEBUG, TAPSTER_RUN_FROM_CLI, dotenv's): undo them."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A folder to write app modules in, made the current one; imports are undone after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("TAPSTER_APP", "TAPSTER_DEBUG", "TAPSTER_SKIP_DOTENV", "TAPSTER_RUN_FROM_CLI"):
        monkeypatch.delenv(name, raising=False)
    before = set(sys.modules)

    def write(relative: str, source: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip())
        return path

    yield write
    for name in set(sys.modules) - before:
        del sys.modules[name]


def load(path: str | None) -> Any:
    return ScriptInfo(app_import_path=path).load_app()


def tapster(*args: str, **kwargs: Any):
    """Invoke a fresh ``tapster`` group in-process (what the console script runs)."""
    return ClickRunner().invoke(TapsterGroup(name="tapster"), list(args), **kwargs)


HELLO = """
from tapster import App

app = App(__name__)

@app.route("/")
def index():
    return "hello"
"""


# -- discovery ------------------------------------------------------------------------------


def test_module_attribute_app_or_application(project):
    project("first.py", HELLO)
    project("second.py", HELLO.replace("app = App", "application = App")
            .replace("@app.", "@application."))
    assert load("first").import_name == "first"
    assert load("second").import_name == "second"


def test_the_only_app_under_another_name(project):
    project("other.py", "from tapster import App\nweb = App(__name__)\n")
    assert load("other").import_name == "other"


def test_several_apps_must_be_named(project):
    project("two.py", "from tapster import App\na = App('a')\nb = App('b')\n")
    with pytest.raises(NoAppException) as caught:
        load("two")
    assert caught.value.format_message() == (
        "Detected multiple Tapster applications in module 'two'. Use 'tapster --app two:name' "
        "to specify the correct one."
    )
    assert load("two:b").import_name == "b"


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_factory_found_by_name(project, factory):
    project("factory.py", f"from tapster import App\ndef {factory}():\n    return App('made')\n")
    assert load("factory").import_name == "made"


def test_factory_with_literal_arguments(project):
    project("factory.py", """
        from tapster import App
        def create_app(name, debug=False):
            app = App(name)
            app.config["ARG"] = debug
            return app
    """)
    app = load("factory:create_app('custom', debug=True)")
    assert (app.import_name, app.config["ARG"]) == ("custom", True)


def test_a_factory_named_without_a_call_is_called(project):
    project("factory.py", "from tapster import App\ndef build():\n    return App('built')\n")
    assert load("factory:build").import_name == "built"


def test_file_paths_and_packages(project):
    project("site/web/__init__.py", "")
    project("site/web/server.py", HELLO)
    project("loose/app.py", HELLO)
    assert load("site/web/server.py").import_name == "web.server"
    assert load("loose/app.py").import_name == "app"


def test_prepare_import_puts_the_folder_above_the_packages_on_sys_path(project, tmp_path):
    project("outer/pkg/__init__.py", "")
    project("outer/pkg/mod.py", "")
    assert prepare_import("outer/pkg/mod.py") == "pkg.mod"
    assert sys.path[0] == str(tmp_path / "outer")
    assert prepare_import("outer/pkg/__init__.py") == "pkg"


def test_dotted_module_name(project):
    project("pack/__init__.py", "")
    project("pack/wsgi.py", HELLO)
    assert load("pack.wsgi").import_name == "pack.wsgi"


@pytest.mark.parametrize("filename", ["wsgi.py", "app.py"])
def test_wsgi_py_or_app_py_in_the_current_folder(project, filename):
    project(filename, HELLO)
    assert load(None).import_name == filename[:-3]


def test_wsgi_py_comes_before_app_py(project):
    project("wsgi.py", "from tapster import App\napp = App('from_wsgi')\n")
    project("app.py", "from tapster import App\napp = App('from_app')\n")
    assert load(None).import_name == "from_wsgi"


def test_create_app_callback_wins():
    app = App("given")
    info = ScriptInfo(app_import_path="ignored", create_app=lambda: app)
    assert info.load_app() is app
    assert info.load_app() is app  # loaded once


def test_debug_flag_from_the_environment(project, monkeypatch):
    project("wsgi.py", HELLO)
    monkeypatch.setenv("TAPSTER_DEBUG", "1")
    assert load(None).debug is True
    for value, expected in [("0", False), ("false", False), ("no", False), ("yes", True),
                            ("", False)]:
        monkeypatch.setenv("TAPSTER_DEBUG", value)
        assert get_debug_flag() is expected


def test_set_debug_flag_false_leaves_the_app_alone(monkeypatch):
    app = App("quiet")
    monkeypatch.setenv("TAPSTER_DEBUG", "1")
    ScriptInfo(create_app=lambda: app, set_debug_flag=False).load_app()
    assert app.debug is False


# -- what goes wrong is one line -------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "target", "message"),
    [
        ({}, None, "Could not locate a Tapster application. Use the 'tapster --app' option, "
                   "'TAPSTER_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the "
                   "current directory."),
        ({}, "missing_module", "Could not import 'missing_module'."),
        ({"pk/__init__.py": ""}, "pk.nothing", "Could not import 'pk.nothing'."),
        ({"imports.py": "import not_installed_anywhere\n"}, "imports",
         "While importing 'imports', an ImportError was raised: ModuleNotFoundError: No module "
         "named 'not_installed_anywhere' (imports.py, line 1)"),
        ({"raises.py": "x = 1\nraise RuntimeError('no database')\n"}, "raises",
         "While importing 'raises', an error was raised: RuntimeError: no database "
         "(raises.py, line 2)"),
        ({"syntax.py": "def broken(:\n"}, "syntax",
         "While importing 'syntax', an error was raised: SyntaxError: invalid syntax "
         "(syntax.py, line 1)"),
        ({"empty.py": "x = 1\n"}, "empty",
         "Failed to find Tapster application or factory in module 'empty'. Use "
         "'tapster --app empty:name' to specify one."),
        ({"empty.py": "x = 1\n"}, "empty:nope", "Failed to find attribute 'nope' in 'empty'."),
        ({"empty.py": "x = 1\n"}, "empty:x", "A valid Tapster application was not obtained "
                                             "from 'empty:x'."),
        ({"empty.py": "x = 1\n"}, "empty:x()", "'x' in 'empty' is not a function to call."),
        ({"empty.py": "x = 1\n"}, "empty:x.y",
         "'x.y' must be a name or a call such as create_app()"),
        ({"empty.py": "x = 1\n"}, "empty:f(", "cannot parse 'f(' as a name or a call"),
        ({"empty.py": "x = 1\n"}, "empty:f(x)", "the arguments of 'f(x)' must be literals"),
        ({"needs.py": "def create_app(name):\n    pass\n"}, "needs",
         "Detected factory 'create_app' in module 'needs', but could not call it without "
         "arguments. Use 'tapster --app needs:create_app(args)' to specify arguments."),
        ({"needs.py": "def create_app(name):\n    pass\n"}, "needs:create_app(1, 2)",
         "The factory 'create_app(1, 2)' in module 'needs' could not be called with the "
         "specified arguments."),
        ({"fails.py": "def create_app():\n    raise KeyError('SECRET')\n"}, "fails",
         "Calling 'create_app' in module 'fails' failed: KeyError: 'SECRET' (fails.py, line 2)"),
        ({"fails.py": "def make(n):\n    return len(n)\n"}, "fails:make(3)",
         "Calling fails:make(3) failed: TypeError: object of type 'int' has no len() "
         "(fails.py, line 2)"),
    ],
)
def test_load_errors(project, files, target, message):
    for name, source in files.items():
        project(name, source)
    with pytest.raises(NoAppException) as caught:
        load(target)
    assert caught.value.format_message() == message
    assert caught.value.exit_code == 1


def test_error_is_one_line_and_exit_1_through_the_group(project):
    project("raises.py", "raise RuntimeError('no database')\n")
    result = tapster("--app", "raises", "routes")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: While importing 'raises', an error was raised: RuntimeError: no database "
        "(raises.py, line 1)"
    ]
    assert "Traceback" not in result.output


def test_run_with_a_missing_module(project):
    result = tapster("run", "--app", "missing_module")
    assert result.exit_code == 1
    assert result.stderr == "Error: Could not import 'missing_module'.\n"


def test_unknown_command_without_an_app_says_both(project):
    result = tapster("nosuch")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Could not locate a Tapster application.")
    assert "No such command 'nosuch'" in result.stderr


# -- the tapster group ----------------------------------------------------------------------


def test_help_without_an_app_lists_the_built_in_commands_quietly(project):
    result = tapster("--help")
    assert result.exit_code == 0
    for name in ("run", "routes", "shell"):
        assert f"  {name} " in result.stdout
    assert result.stderr == ""


def test_version_without_an_app(project):
    from tapster import __version__

    result = tapster("--version")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"tapster {__version__}"
    assert result.stdout.splitlines()[1].startswith("Python 3.")


APP_WITH_COMMANDS = """
import click
from tapster import App, current_app, g

app = App(__name__)

@app.cli.command()
@click.argument("name")
def greet(name):
    "Say hello."
    click.echo(f"hello {name} from {current_app.import_name}")

@app.cli.command
def bare():
    "Registered without parentheses."
    click.echo("bare " + current_app.import_name)

@app.cli.command(with_appcontext=False)
def outside():
    click.echo(f"context: {bool(current_app)}")

tools = app.cli.group("tools")(lambda: None)

@tools.command()
def clean():
    click.echo("cleaned " + current_app.import_name)

@click.command("added")
def added():
    "A plain click command, given to add_command."
    click.echo("added " + current_app.import_name)

app.cli.add_command(added)
"""


def test_app_commands_are_listed_and_run(project):
    project("wsgi.py", APP_WITH_COMMANDS)
    result = tapster("--help")
    assert "greet" in result.stdout and "Say hello." in result.stdout
    assert "tools" in result.stdout
    assert tapster("greet", "Ada").stdout == "hello Ada from wsgi\n"
    assert tapster("bare").stdout == "bare wsgi\n"
    assert tapster("tools", "clean").stdout == "cleaned wsgi\n"
    assert "added" in result.stdout
    assert tapster("added").stdout == "added wsgi\n"  # in the app context, as in Flask


def test_app_commands_run_in_the_app_context_even_without_with_appcontext(project):
    # TapsterGroup pushes the context when it finds the app's command.
    project("wsgi.py", APP_WITH_COMMANDS)
    assert tapster("outside").stdout == "context: True\n"


def test_app_option_and_environment_variable(project):
    project("service.py", APP_WITH_COMMANDS)
    assert tapster("--app", "service", "greet", "x").stdout == "hello x from service\n"
    assert tapster("-A", "service.py", "greet", "y").stdout == "hello y from service\n"
    result = tapster("greet", "z", env={"TAPSTER_APP": "service"})
    assert result.stdout == "hello z from service\n"


def test_a_broken_app_still_leaves_the_help(project):
    project("wsgi.py", "raise RuntimeError('broken')\n")
    result = tapster("--help")
    assert result.exit_code == 0
    assert "run" in result.stdout
    assert result.stderr.startswith("Error: While importing 'wsgi', an error was raised: "
                                    "RuntimeError: broken")


def test_debug_option_sets_the_variable(project, monkeypatch):
    project("wsgi.py", """
        import click
        from tapster import App, current_app
        app = App(__name__)
        @app.cli.command()
        def mode():
            click.echo(f"debug={current_app.debug}")
    """)
    assert tapster("--debug", "mode").stdout == "debug=True\n"
    assert os.environ["TAPSTER_DEBUG"] == "1"
    assert tapster("--no-debug", "mode").stdout == "debug=False\n"
    monkeypatch.setenv("TAPSTER_DEBUG", "1")
    assert tapster("mode").stdout == "debug=True\n"  # the default leaves the variable alone


def test_custom_group_with_create_app():
    app = App("custom")

    @app.cli.command()
    def who():
        click.echo(current_app.import_name)

    group = TapsterGroup(create_app=lambda: app)
    result = ClickRunner().invoke(group, ["who"])
    assert result.stdout == "custom\n"


def test_plugin_commands_from_entry_points(project, monkeypatch):
    from importlib.metadata import EntryPoint

    @click.command()
    def plugged():
        click.echo("from a package")

    monkeypatch.setattr(sys.modules[__name__], "plugged", plugged, raising=False)
    entry = EntryPoint("plugged", f"{__name__}:plugged", "tapster.commands")
    monkeypatch.setattr("importlib.metadata.entry_points",
                        lambda group: [entry] if group == "tapster.commands" else [])
    assert "plugged" in tapster("--help").stdout
    assert tapster("plugged").stdout == "from a package\n"


def test_run_from_cli_is_marked_for_app_run(project):
    tapster("--help")
    assert os.environ["TAPSTER_RUN_FROM_CLI"] == "true"


# -- with_appcontext, AppGroup and the app's runner ---------------------------------------------


def test_with_appcontext_loads_the_app_and_pushes_its_context():
    app = App("ctx")

    @click.command()
    @with_appcontext
    def show():
        click.echo(current_app.import_name)

    result = ClickRunner().invoke(show, obj=ScriptInfo(create_app=lambda: app))
    assert result.stdout == "ctx\n"


def test_with_appcontext_reuses_an_active_context():
    app = App("active")
    loads = []

    @click.command()
    @with_appcontext
    def show():
        click.echo(current_app.import_name)

    with app.app_context():
        result = ClickRunner().invoke(show, obj=ScriptInfo(create_app=lambda: loads.append(1)))
    assert result.stdout == "active\n" and loads == []


def test_app_group_makes_app_groups_and_wraps_commands():
    group = AppGroup("g")
    sub = group.group("sub")(lambda: None)
    assert isinstance(sub, AppGroup)

    @sub.command()
    def inner():
        click.echo(current_app.import_name)

    result = App("grouped").test_cli_runner().invoke(group, ["sub", "inner"])
    assert result.stdout == "grouped\n"


def test_test_cli_runner_invokes_the_apps_commands():
    app = App("runner")

    @app.cli.command("hello")
    @click.option("--name", default="World")
    def hello_command(name):
        click.echo(f"Hello, {name}! ({current_app.import_name})")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["hello"]).output == "Hello, World! (runner)\n"
    assert runner.invoke(hello_command, ["--name", "Ada"]).output == "Hello, Ada! (runner)\n"


# -- routes ---------------------------------------------------------------------------------


def define_routes(app: Any) -> None:
    """The same routes for a tapster App or a Flask app."""

    def view(**kwargs: Any) -> str:
        return ""

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/users/<int:user_id>", "user", view, methods=["GET", "PUT", "DELETE"])
    app.add_url_rule("/login", "login", view, methods=["POST"])
    app.add_url_rule("/about", "about", view)
    app.add_url_rule("/a-very-long-rule/<path:rest>", "files", view, methods=["GET", "POST"])


def routes_of(app: Any, *args: str) -> str:
    result = app.test_cli_runner().invoke(routes_command, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "args",
    [[], ["--sort", "rule"], ["-s", "methods"], ["--sort", "match"], ["--sort", "domain"],
     ["--all-methods"], ["--all-methods", "--sort", "methods"]],
)
def test_routes_table_is_flasks(args):
    import flask
    from flask.cli import routes_command as flask_routes

    ours, theirs = App("same"), flask.Flask("same")
    define_routes(ours)
    define_routes(theirs)
    expected = theirs.test_cli_runner().invoke(flask_routes, args).output
    assert routes_of(ours, *args) == expected


def test_routes_table_layout():
    app = App("layout", static_folder=None)
    define_routes(app)
    assert routes_of(app, "--sort", "rule").splitlines() == [
        "Endpoint  Methods           Rule                         ",
        "--------  ----------------  -----------------------------",
        "index     GET               /                            ",
        "files     GET, POST         /a-very-long-rule/<path:rest>",
        "about     GET               /about                       ",
        "login     POST              /login                       ",
        "user      DELETE, GET, PUT  /users/<int:user_id>         ",
    ]


def test_routes_with_subdomains_like_flask():
    import flask
    from flask.cli import routes_command as flask_routes

    tables = []
    for app in (App("sub", subdomain_matching=True), flask.Flask("sub", subdomain_matching=True)):
        app.config["SERVER_NAME"] = "example.com"
        app.add_url_rule("/", "home", lambda: "")
        app.add_url_rule("/", "api_home", lambda: "", subdomain="api")
        runner = app.test_cli_runner()
        command = routes_command if isinstance(app, App) else flask_routes
        tables.append(runner.invoke(command, ["--sort", "domain"]).output)
    assert "Subdomain" in tables[0]
    assert tables[0] == tables[1]


def test_no_routes():
    assert routes_of(App("empty", static_folder=None)) == "No routes were registered.\n"


def test_routes_through_the_group_with_app_after_the_command(project):
    project("svc.py", HELLO)
    result = tapster("routes", "--app", "svc")
    assert result.exit_code == 0
    assert "index" in result.stdout and "Endpoint" in result.stdout


# -- shell ---------------------------------------------------------------------------------


def test_shell_has_the_shell_context(monkeypatch):
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    app = App("shelled")

    @app.shell_context_processor
    def extra():
        return {"answer": 42}

    code = "print(app.import_name, answer, g is not None)\n"
    result = app.test_cli_runner().invoke(shell_command, input=code)
    assert result.exit_code == 0
    assert "shelled 42 True" in result.stdout
    assert "App: shelled" in result.output


def test_shell_runs_pythonstartup(monkeypatch, tmp_path):
    startup = tmp_path / "startup.py"
    startup.write_text("FROM_STARTUP = 'yes'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    result = App("s").test_cli_runner().invoke(shell_command, input="print(FROM_STARTUP)\n")
    assert "yes" in result.stdout


# -- run (the server itself is tested in tests/integration) -------------------------------------


@pytest.fixture
def served(monkeypatch):
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("tapster.wsgi.serve", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.delenv("TAPSTER_DEBUG", raising=False)
    return calls


def test_run_serves_the_app_with_host_and_port(served):
    app = App("served")
    result = app.test_cli_runner().invoke(run_command, ["--host", "0.0.0.0", "-p", "8080"])
    assert result.exit_code == 0, result.output
    assert served == [(app, {"host": "0.0.0.0", "port": 8080})]
    assert " * Debug mode: off" in result.stdout


def test_run_defaults_like_flask_run(served):
    App("d").test_cli_runner().invoke(run_command, [])
    assert served[0][1] == {"host": "127.0.0.1", "port": 5000}


def test_run_debug_sets_debug_mode_before_serving(monkeypatch):
    debug_when_served = []
    monkeypatch.setattr("tapster.wsgi.serve",
                        lambda app, **kw: debug_when_served.append(app.app.debug))
    # --no-reload: the reloader would start this process again (see below).
    result = App("dbg").test_cli_runner().invoke(run_command, ["--debug", "--no-reload"])
    assert result.exit_code == 0, result.output
    assert debug_when_served == [True]
    assert " * Debug mode: on" in result.stdout
    assert " * Debug page: on" in result.stdout


def test_run_debug_starts_the_reloader_without_loading_the_app(monkeypatch):
    from tapster.web.debug import DebuggedApplication

    built = []

    class Runner:
        def run(self) -> None:
            built.append("ran")

    def build_server(settings, load):
        built.append(settings)
        return Runner()

    monkeypatch.setattr("tapster.wsgi.server.build_server", build_server)
    monkeypatch.delenv("TAPSTER_RELOADER_CHILD", raising=False)
    loaded = []

    def create_app():
        loaded.append(True)
        return App("reloaded")

    runner = App("unused").test_cli_runner()
    result = runner.invoke(run_command, ["--debug", "--port", "0", "--extra-files",
                                         f"a.toml{os.pathsep}b.toml", "--exclude-patterns",
                                         "*.tmp"], obj=ScriptInfo(create_app=create_app))
    assert result.exit_code == 0, result.output
    settings, ran = built
    assert ran == "ran"
    assert (settings.reload, settings.reload_extra_files, settings.reload_exclude) == (
        True, ["a.toml", "b.toml"], ["*.tmp"])
    assert loaded == []  # the reloader's server process loads it, not the reloader

    # In the server process, the app is loaded and wrapped in the debug page.
    served = []
    monkeypatch.setattr("tapster.wsgi.serve", lambda app, **kw: served.append((app, kw)))
    monkeypatch.setenv("TAPSTER_RELOADER_CHILD", "1")
    result = runner.invoke(run_command, ["--debug", "--port", "0"],
                           obj=ScriptInfo(create_app=create_app))
    assert result.exit_code == 0, result.output
    [(app, options)] = served
    assert isinstance(app, DebuggedApplication) and app.app.debug
    assert options == {"host": "127.0.0.1", "port": 0, "reload": True}
    assert result.stdout == ""  # the banner was the reloader's to print


def test_run_names_the_app_it_serves(project, served):
    project("svc.py", HELLO)
    result = tapster("--app", "svc", "run", "--port", "0")
    assert result.exit_code == 0, result.output
    assert " * Serving Tapster app 'svc'" in result.stdout
    assert served[0][1] == {"host": "127.0.0.1", "port": 0}


def test_run_port_from_the_environment(served):
    app = App("env")
    group = TapsterGroup(create_app=lambda: app)
    ClickRunner().invoke(group, ["run"], env={"TAPSTER_RUN_PORT": "8123"})
    assert served[0][1]["port"] == 8123


def test_run_reports_a_bad_port_in_one_line(project):
    project("svc.py", HELLO)
    result = tapster("--app", "svc", "run", "--port", "70000")
    assert result.exit_code == 1
    assert result.stderr == "Error: port must be 0-65535, not 70000\n"


# -- dotenv -----------------------------------------------------------------------------------


def test_without_python_dotenv_files_are_skipped(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "dotenv", None)  # import dotenv fails
    Path(".env").write_text("SKIPPED_VAR=1\n")
    assert load_dotenv() is False
    assert "SKIPPED_VAR" not in os.environ
    result = tapster("-e", ".env", "--help")
    assert result.exit_code == 2
    assert "python-dotenv must be installed" in result.stderr


@needs_dotenv
def test_dotenv_files_precedence(project, monkeypatch):
    for name in ("DOTENV_A", "DOTENV_B", "DOTENV_C", "DOTENV_D"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOTENV_D", "environment")
    Path(".tapsterenv").write_text("DOTENV_A=tapsterenv\nDOTENV_B=tapsterenv\nDOTENV_D=file\n")
    Path(".env").write_text("DOTENV_B=env\nDOTENV_C=env\n")
    Path("extra.env").write_text("DOTENV_C=extra\n")
    assert load_dotenv("extra.env") is True
    assert (os.environ["DOTENV_A"], os.environ["DOTENV_B"], os.environ["DOTENV_C"],
            os.environ["DOTENV_D"]) == ("tapsterenv", "env", "extra", "environment")


@needs_dotenv
def test_dotenv_found_in_a_parent_folder(project, monkeypatch, tmp_path):
    monkeypatch.delenv("DOTENV_PARENT", raising=False)
    Path(".env").write_text("DOTENV_PARENT=up\n")
    (tmp_path / "deeper").mkdir()
    monkeypatch.chdir(tmp_path / "deeper")
    load_dotenv()
    assert os.environ["DOTENV_PARENT"] == "up"


@needs_dotenv
def test_dotenv_names_the_app_for_the_group(project, monkeypatch):
    monkeypatch.delenv("GREETING", raising=False)
    project("service.py", APP_WITH_COMMANDS)
    Path(".tapsterenv").write_text("TAPSTER_APP=service\n")
    result = tapster("greet", "env")
    assert result.stdout == "hello env from service\n"


@needs_dotenv
def test_env_file_option_and_skip_variable(project, monkeypatch):
    monkeypatch.delenv("FROM_OPTION", raising=False)
    monkeypatch.delenv("FROM_DEFAULT", raising=False)
    Path("custom.env").write_text("FROM_OPTION=1\n")
    Path(".env").write_text("FROM_DEFAULT=1\n")
    monkeypatch.setenv("TAPSTER_SKIP_DOTENV", "1")
    tapster("-e", "custom.env", "--help")
    assert os.environ.get("FROM_OPTION") == "1"
    assert "FROM_DEFAULT" not in os.environ


def test_find_best_app_prefers_app_over_other_instances(project):
    module = type(sys)("mixed")
    module.other = App("other")
    module.app = App("main")
    assert find_best_app(module) is module.app


def test_flask_cli_names_import_from_tapster_cli():
    import tapster.cli
    import tapster.web.cli

    for name in ("with_appcontext", "AppGroup", "ScriptInfo", "pass_script_info", "load_dotenv"):
        assert getattr(tapster.cli, name) is getattr(tapster.web.cli, name)
