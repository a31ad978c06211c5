"""Post alerts to a Slack-compatible webhook or the Telegram Bot API (urllib only, no extra deps)."""
from __future__ import annotations

import html
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pandas as pd

TELEGRAM_LIMIT = 4096
SLACK_LIMIT = 39000


class NotifyError(RuntimeError):
    """Delivery failed: a 4xx answer (bad URL / token / chat id) or retries exhausted."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


def _batches(messages: list[str], max_per_message: int, limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    cur: list[str] = []
    size = 0
    for m in messages:
        m = m if len(m) <= limit else m[: limit - 1] + "…"
        if cur and (len(cur) >= max_per_message or size + len(m) + 2 > limit):
            out.append(cur)
            cur, size = [], 0
        cur.append(m)
        size += len(m) + 2
    if cur:
        out.append(cur)
    return out


def _post(url: str, payload: dict, timeout: float, retries: int, backoff: float, max_backoff: float,
          sleep: Callable[[float], None]) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    last = ""
    for attempt in range(retries + 1):
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        wait = min(max_backoff, backoff * (2 ** attempt))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                resp.read()
                return
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:500]
            if exc.code == 429 or exc.code >= 500:
                last = f"HTTP {exc.code}: {body}"
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                if retry_after:
                    try:
                        wait = min(max_backoff, float(retry_after))
                    except ValueError:
                        pass
            else:
                raise NotifyError(f"webhook rejected the message: HTTP {exc.code}: {body}", exc.code, body) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        if attempt < retries:
            sleep(wait)
    raise NotifyError(f"webhook delivery failed after {retries + 1} attempts: {last}")


def post_alerts(
    alerts_df: pd.DataFrame,
    webhook_url: str,
    kind: str = "slack",
    chat_id: str | int | None = None,
    timeout: float = 5,
    max_per_message: int = 20,
    *,
    retries: int = 3,
    backoff: float = 0.5,
    max_backoff: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Post ``alerts_df['message']`` in batches of at most ``max_per_message`` alerts per HTTP message.

    kind='slack': POST ``{"text": ...}`` to the webhook URL (Slack, Mattermost, Rocket.Chat ...).
    kind='telegram': POST ``{"chat_id", "text", "parse_mode": "HTML"}`` to the URL given whole, e.g.
    ``https://api.telegram.org/bot<TOKEN>/sendMessage`` (text HTML-escaped, <= 4096 chars per message).
    429 / 5xx / network errors are retried ``retries`` times with exponential backoff capped at
    ``max_backoff`` seconds (Retry-After honoured, same cap); another 4xx raises NotifyError at once.
    Returns the number of alerts delivered (0 for an empty frame; no request is made).
    """
    if alerts_df is None or alerts_df.empty:
        return 0
    if kind not in ("slack", "telegram"):
        raise ValueError(f"kind must be 'slack' or 'telegram', not {kind!r}")
    if kind == "telegram" and chat_id is None:
        raise ValueError("telegram needs chat_id")
    col = "message" if "message" in alerts_df.columns else alerts_df.columns[0]
    messages = [str(m) for m in alerts_df[col].tolist()]
    if kind == "telegram":
        messages = [html.escape(m, quote=False) for m in messages]
    limit = TELEGRAM_LIMIT if kind == "telegram" else SLACK_LIMIT
    sent = 0
    for batch in _batches(messages, max(1, int(max_per_message)), limit):
        text = "\n\n".join(batch)
        payload = {"text": text} if kind == "slack" else {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        _post(webhook_url, payload, timeout, retries, backoff, max_backoff, sleep)
        sent += len(batch)
    return sent


def post_routed(batches: dict, *, post: Callable[..., int] | None = None,
                failures: dict[str, str] | None = None, **options) -> dict[str, int]:
    """Post each route's messages to its own webhook (``batches``: Route -> messages, from
    ``ml.alerts.messages_by_route``). A route without a webhook is skipped. Returns messages
    delivered per route name.

    With ``failures`` (a dict), a route whose delivery fails after its retries is recorded there
    (route name -> reason) and the other routes are still posted: an alert is a side effect and
    an unreachable webhook must not stop the marts or the other managers' messages."""
    post = post or post_alerts
    sent: dict[str, int] = {}
    for route, messages in batches.items():
        if not route.webhook or not messages:
            continue
        try:
            sent[route.name] = post(pd.DataFrame({"message": messages}), route.webhook, kind=route.kind,
                                    chat_id=route.chat_id, **options)
        except NotifyError as exc:
            if failures is None:
                raise
            failures[route.name] = str(exc)
            sent[route.name] = 0
    return sent
