"""``App.run()`` serves on tapster's server over a real socket."""

from __future__ import annotations

import sys
import textwrap

import requests

from tests.processes import REPO_ROOT, TapsterProcess, child_environment


def test_app_run_serves_over_a_real_socket(tmp_path):
    (tmp_path / "runapp.py").write_text(
        textwrap.dedent(
            """
            from tapster import App, request

            app = App(__name__)

            @app.route("/hello/<name>")
            def hello(name):
                return {"hello": name, "agent": request.user_agent.string[:8]}

            if __name__ == "__main__":
                app.run(port=0)
            """
        )
    )
    env = child_environment(PYTHONPATH=str(REPO_ROOT / "src"))
    command = [sys.executable, "runapp.py"]
    with TapsterProcess([], command=command, cwd=tmp_path, env=env) as server:
        url = server.listening_urls()[0]
        response = requests.get(f"{url}/hello/world", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"hello": "world", "agent": "python-r"}
        assert response.headers["Server"].startswith("tapster")
        assert requests.get(f"{url}/nothing", timeout=5).status_code == 404


def test_app_run_listens_where_the_environment_or_config_file_says(tmp_path):
    # app.run() without host and port: TAPSTER_SERVE_PORT beats the config
    # file, which beats the default 5000, as for `tapster serve`.
    (tmp_path / "runapp.py").write_text(textwrap.dedent("""
        from tapster import App

        app = App(__name__)

        @app.route("/")
        def index():
            return "configured"

        if __name__ == "__main__":
            app.run(config="server.toml")
    """))
    (tmp_path / "server.toml").write_text('host = "127.0.0.1"\nport = 1\nthreads = 3\n')
    env = child_environment(PYTHONPATH=str(REPO_ROOT / "src"), TAPSTER_SERVE_PORT="0")
    command = [sys.executable, "runapp.py"]
    with TapsterProcess([], command=command, cwd=tmp_path, env=env) as server:
        url = server.listening_urls()[0]
        assert not url.endswith((":1", ":5000"))
        assert requests.get(url + "/", timeout=5).text == "configured"
