-- The blog's tables; `tapster --app tapsterblog init-db` runs this file.
DROP TABLE IF EXISTS posts;
DROP TABLE IF EXISTS users;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    -- scrypt$N$r$p$salt$hash (tapsterblog/passwords.py), never the password
    password_hash TEXT NOT NULL
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES users (id),
    -- UTC, as SQLite writes it: 'YYYY-MM-DD HH:MM:SS'
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX posts_by_date ON posts (created DESC);
