"""Posts: everyone reads them, logged-in users write them, only authors change theirs."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from tapster import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .auth import login_required
from .db import get_db

bp = Blueprint("blog", __name__)

TITLE_MAX_LENGTH = 200

_POST_QUERY = (
    "SELECT p.id, p.title, p.body, p.created, p.updated, p.author_id, u.username"
    " FROM posts p JOIN users u ON p.author_id = u.id"
)


@bp.app_template_filter("when")
def format_timestamp(stamp: str) -> str:
    """SQLite's ``YYYY-MM-DD HH:MM:SS`` (UTC) as ``24 Nov 2026, 17:51 UTC``."""
    moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


@bp.route("/")
def index() -> str:
    """Every post, newest first."""
    posts = get_db().execute(f"{_POST_QUERY} ORDER BY p.created DESC, p.id DESC").fetchall()
    return render_template("blog/index.html", posts=posts)


def get_post(post_id: int, check_author: bool = True) -> sqlite3.Row:
    """The post ``post_id`` with its author's name; 404 if there is none, 403 if it is
    someone else's and ``check_author``."""
    post = get_db().execute(f"{_POST_QUERY} WHERE p.id = ?", (post_id,)).fetchone()
    if post is None:
        abort(404, f"There is no post {post_id}.")
    if check_author and post["author_id"] != g.user["id"]:
        abort(403)
    return post  # type: ignore[no-any-return]


def _form_error(title: str, body: str) -> str | None:
    if not title:
        return "Title is required."
    if len(title) > TITLE_MAX_LENGTH:
        return f"Title must be at most {TITLE_MAX_LENGTH} characters."
    if not body:
        return "Write something in the post."
    return None


@bp.route("/<int:post_id>")
def show(post_id: int) -> str:
    """One post on its own page."""
    return render_template("blog/show.html", post=get_post(post_id, check_author=False))


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create() -> Any:
    """Write a new post."""
    if request.method == "POST":
        title = request.form.get("title", "").strip()
        body = request.form.get("body", "").strip()
        error = _form_error(title, body)
        if error is None:
            db = get_db()
            with db:
                cursor = db.execute(
                    "INSERT INTO posts (title, body, author_id) VALUES (?, ?, ?)",
                    (title, body, g.user["id"]),
                )
            flash(f'Published "{title}".', "success")
            return redirect(url_for("blog.show", post_id=cursor.lastrowid))
        flash(error, "error")
    return render_template("blog/create.html")


@bp.route("/<int:post_id>/update", methods=("GET", "POST"))
@login_required
def update(post_id: int) -> Any:
    """Edit one of your posts."""
    post = get_post(post_id)
    if request.method == "POST":
        title = request.form.get("title", "").strip()
        body = request.form.get("body", "").strip()
        error = _form_error(title, body)
        if error is None:
            db = get_db()
            with db:
                db.execute(
                    "UPDATE posts SET title = ?, body = ?, updated = CURRENT_TIMESTAMP"
                    " WHERE id = ?",
                    (title, body, post_id),
                )
            flash("Saved your changes.", "success")
            return redirect(url_for("blog.show", post_id=post_id))
        flash(error, "error")
    return render_template("blog/update.html", post=post)


@bp.post("/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> Any:
    """Delete one of your posts."""
    post = get_post(post_id)
    db = get_db()
    with db:
        db.execute("DELETE FROM posts WHERE id = ?", (post_id,))
    flash(f'Deleted "{post["title"]}".', "success")
    return redirect(url_for("blog.index"))
