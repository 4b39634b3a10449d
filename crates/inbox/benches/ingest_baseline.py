#!/usr/bin/env python3
"""The Python standard-library baseline for foi's ingest benchmark (benches/ingest.rs).

Reads every message of a Maildir with `mailbox`, parses it with `email` (the modern policy),
takes the sender, subject, date, Message-ID, the text body (plain, else HTML) and every
attachment's bytes, and stores the raw message and those fields in SQLite with `sqlite3`,
one transaction per message (as foi does), WAL and synchronous=FULL (as foi does). No
matching, no classification, no attachment text: the same parse + store, less work.

Usage: ingest_baseline.py MAILDIR DATABASE
Prints: messages seconds peak_memory_mb
"""

import email
import email.policy
import mailbox
import resource
import sqlite3
import sys
import time


def main():
    maildir, database = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE,
            sender TEXT, subject TEXT, date TEXT, body_text TEXT);
        CREATE TABLE IF NOT EXISTS message_raw (message_id INTEGER PRIMARY KEY, raw BLOB);
        CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, message_id INTEGER,
            filename TEXT, content_type TEXT, content BLOB);
        """
    )
    box = mailbox.Maildir(maildir, factory=None, create=False)
    n = 0
    start = time.perf_counter()
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        try:
            text = body.get_content() if body is not None else ""
        except (LookupError, ValueError):
            text = ""
        cur = db.execute(
            "INSERT OR IGNORE INTO messages (message_id, sender, subject, date, body_text) VALUES (?, ?, ?, ?, ?)",
            (str(msg.get("Message-ID", "")), str(msg.get("From", "")), str(msg.get("Subject", "")),
             str(msg.get("Date", "")), text),
        )
        if cur.rowcount:
            row = cur.lastrowid
            db.execute("INSERT INTO message_raw (message_id, raw) VALUES (?, ?)", (row, raw))
            for part in msg.iter_attachments():
                db.execute(
                    "INSERT INTO attachments (message_id, filename, content_type, content) VALUES (?, ?, ?, ?)",
                    (row, part.get_filename(), part.get_content_type(), part.get_payload(decode=True)),
                )
        db.commit()
        n += 1
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"{n} {elapsed:.3f} {peak_mb:.1f}")


if __name__ == "__main__":
    main()
