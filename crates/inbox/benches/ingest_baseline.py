#!/usr/bin/env python3
"""The Python standard-library baseline for foi's ingest benchmark (benches/ingest.rs).

Streams a Maildir one message at a time (os.scandir, one file read, parsed and dropped; the
mailbox is never held in memory), parses each message with `email` (the modern policy),
takes the sender, subject, date, Message-ID, the text body (plain, else HTML) and every
attachment's bytes, and stores the raw message and those fields in SQLite with `sqlite3`
(WAL, synchronous=FULL, as foi does), committing every 200 messages (as foi's batches do).

Two modes, each the like of one of foi's figures:
  store     parse + store (foi's "parse + match + classify + store" does this and more)
  pipeline  store, and read every attachment's text the way foi does: `pdftotext` for a PDF,
            the sheets' cells of a spreadsheet (zipfile + xml.etree), text as text (foi's
            "whole pipeline", `foi inbox import`)

Usage: ingest_baseline.py MODE MAILDIR DATABASE
Prints: messages seconds peak_memory_mb attachments_read
"""

import email
import email.policy
import os
import resource
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from io import BytesIO

BATCH = 200
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def maildir_files(maildir):
    """Every message file of the Maildir, in name order, without reading any."""
    names = []
    for sub in ("new", "cur"):
        folder = os.path.join(maildir, sub)
        if os.path.isdir(folder):
            with os.scandir(folder) as it:
                names.extend(e.path for e in it if e.is_file())
    names.sort()
    return names


def pdf_text(data):
    out = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                         timeout=60, check=False)
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else ""


def xlsx_text(data):
    with zipfile.ZipFile(BytesIO(data)) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            for si in root.iter(SHEET_NS + "si"):
                shared.append("".join(t.text or "" for t in si.iter(SHEET_NS + "t")))
        lines = []
        for name in sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            root = ET.fromstring(z.read(name))
            for row in root.iter(SHEET_NS + "row"):
                cells = []
                for c in row.iter(SHEET_NS + "c"):
                    v = c.find(SHEET_NS + "v")
                    if c.get("t") == "s" and v is not None:
                        cells.append(shared[int(v.text)])
                    elif c.get("t") == "inlineStr":
                        cells.append("".join(t.text or "" for t in c.iter(SHEET_NS + "t")))
                    elif v is not None:
                        cells.append(v.text or "")
                lines.append("\t".join(cells))
        return "\n".join(lines)


def attachment_text(filename, content_type, data):
    name = (filename or "").lower()
    try:
        if content_type == "application/pdf" or name.endswith(".pdf"):
            return pdf_text(data)
        if name.endswith(".xlsx") or "spreadsheetml" in content_type:
            return xlsx_text(data)
        if content_type.startswith("text/"):
            return data.decode("utf-8", "replace")
    except (zipfile.BadZipFile, ET.ParseError, subprocess.TimeoutExpired, KeyError, ValueError, IndexError):
        return ""
    return ""


def main():
    mode, maildir, database = sys.argv[1], sys.argv[2], sys.argv[3]
    read_text = mode == "pipeline"
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, message_id TEXT UNIQUE,
            sender TEXT, subject TEXT, date TEXT, body_text TEXT);
        CREATE TABLE IF NOT EXISTS message_raw (message_id INTEGER PRIMARY KEY, raw BLOB);
        CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, message_id INTEGER,
            filename TEXT, content_type TEXT, content BLOB, text TEXT);
        """
    )
    n = 0
    read = 0
    start = time.perf_counter()
    for path in maildir_files(maildir):
        with open(path, "rb") as f:
            raw = f.read()
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
                data = part.get_payload(decode=True) or b""
                filename, ctype = part.get_filename(), part.get_content_type()
                extracted = attachment_text(filename, ctype, data) if read_text else None
                read += 1 if read_text else 0
                db.execute(
                    "INSERT INTO attachments (message_id, filename, content_type, content, text) VALUES (?, ?, ?, ?, ?)",
                    (row, filename, ctype, data, extracted),
                )
        n += 1
        if n % BATCH == 0:
            db.commit()
    db.commit()
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"{n} {elapsed:.3f} {peak_mb:.1f} {read}")


if __name__ == "__main__":
    main()
