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
