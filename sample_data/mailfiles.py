"""A few real RFC 5322 messages (.eml files and one mbox) written with the stdlib `email` package."""
from __future__ import annotations

import mailbox
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import numpy as np

from . import params as P

MSK = timezone(timedelta(hours=3))
# (charset, transfer encoding) mixes: base64 / quoted-printable, UTF-8 / koi8-r / cp1251
ENCODINGS = [("utf-8", "base64"), ("utf-8", "quoted-printable"), ("koi8-r", "quoted-printable"),
             ("koi8-r", "base64"), ("windows-1251", "quoted-printable"), ("windows-1251", "8bit")]


def build_message(msg_id: str, sent: int, sender: str, to: str, subject: str, body: str, enc: int,
                  html: bool) -> EmailMessage:
    charset, cte = ENCODINGS[enc]
    msg = EmailMessage()
    msg["Message-ID"] = msg_id
    msg["Date"] = format_datetime(datetime.fromtimestamp(sent - 3 * 3600, MSK))
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["MIME-Version"] = "1.0"
    try:
        body.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    msg.set_content(body, charset=charset, cte=cte)
    if html:
        paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n") if line.strip())
        msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html", charset="utf-8",
                            cte="base64")
        # a fixed boundary keeps the files byte-reproducible (the stdlib draws a random one)
        msg.set_boundary("==clientpulse_" + "".join(ch for ch in msg_id if ch.isalnum())[:24])
    return msg


def write_mailfiles(out: Path, rows: dict[str, list], rng: np.random.Generator) -> list[str]:
    """Write rows (sent, from, to, subject, body) as .eml files and one mbox; return the Message-IDs."""
    mail_dir = out / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    n = len(rows["sent"])
    ids = [f"<{rows['sent'][i]:x}.{i:05d}.{int(rng.integers(0, 16**6)):06x}@mail.{'gmail.com' if i % 3 else 'mx.yandex.ru'}>"
           for i in range(n)]
    enc = rng.integers(0, len(ENCODINGS), n)
    html = rng.random(n) < 0.3
    msgs = [build_message(ids[i], int(rows["sent"][i]), rows["from"][i], rows["to"][i], rows["subject"][i],
                          rows["body"][i], int(enc[i]), bool(html[i])) for i in range(n)]
    n_eml = min(P.EML_FILES, n)
    for i in range(n_eml):
        (mail_dir / f"message_{i + 1:03d}.eml").write_bytes(msgs[i].as_bytes())
    box_path = mail_dir / "archive.mbox"
    if box_path.exists():
        box_path.unlink()
    box = mailbox.mbox(str(box_path), create=True)
    try:
        for i in range(n_eml, n):
            m = mailbox.mboxMessage(msgs[i])
            m.set_from(rows["from_addr"][i], time.gmtime(int(rows["sent"][i])))
            box.add(m)
        box.flush()
    finally:
        box.close()
    return ids
