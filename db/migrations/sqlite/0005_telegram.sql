-- Telegram control. `telegram_state` keeps the last update handled (a restart neither repeats nor
-- drops a command) and how far alerts were taken from the journal. `telegram_outbox` is the durable
-- outbox: every reply and alert is stored before it is sent, so a message survives a restart; a sent
-- one keeps its row (status 'sent') so a soak can count what was delivered twice.
CREATE TABLE telegram_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE telegram_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    priority    INTEGER NOT NULL CHECK (priority IN (0, 1)),
    status      TEXT    NOT NULL CHECK (status IN ('waiting', 'sent', 'refused')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    reason      TEXT
);
CREATE INDEX telegram_outbox_waiting ON telegram_outbox (status, id);
