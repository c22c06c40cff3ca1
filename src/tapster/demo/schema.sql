-- The demo's tables. create_app() runs this on every start: IF NOT EXISTS
-- makes it a no-op once the tables are there, and the one transaction makes
-- workers starting at the same moment take turns.
BEGIN IMMEDIATE;

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NOCASE: "Alice" and "alice" are one account
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- scrypt$N$r$p$salt$hash (demo/security.py), never the password
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- One API token per user; only its SHA-256 is kept, so a copy of the
-- database does not hand out working tokens.
CREATE TABLE IF NOT EXISTS api_tokens (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- UTC, as SQLite writes it: 'YYYY-MM-DD HH:MM:SS'
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS notes_by_owner ON notes (owner_id, id DESC);

-- The file itself is instance/attachments/<stored_name>, a random name: what
-- the client called it (filename) never becomes a path.
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    stored_name TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS attachments_by_note ON attachments (note_id);

COMMIT;
