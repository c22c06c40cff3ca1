"""A plain Flask application, served unchanged by ``tapster serve`` in the tests."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/files/<path:subpath>")
def show_file(subpath: str):
    """A route with a path converter: the rest of the URL, slashes included."""
    return jsonify(subpath=subpath, script_root=request.script_root)


@app.post("/api/sum")
def add_numbers():
    """A JSON POST: the numbers back, with their sum."""
    payload = request.get_json()
    numbers = payload["numbers"]
    return jsonify(numbers=numbers, total=sum(numbers)), 201


@app.get("/stream")
def stream():
    """A streamed response: chunked on HTTP/1.1."""

    def lines():
        for index in range(5):
            yield f"line {index}\n"

    return app.response_class(lines(), mimetype="text/plain")
