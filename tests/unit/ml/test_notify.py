"""post_alerts against a local http.server that records requests."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from ml.notify import NotifyError, post_alerts


@pytest.fixture
def server():
    state = {"requests": [], "responses": []}   # responses: queue of status codes (default 200)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state["requests"].append({"path": self.path, "body": json.loads(body.decode("utf-8")),
                                      "ctype": self.headers.get("Content-Type")})
            status = state["responses"].pop(0) if state["responses"] else 200
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status == 200 else b'{"ok": false, "description": "nope"}')

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()


def alerts(n):
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                         "message": [f"Клиент c{i} в зоне риска! Причины: тон <упал> & экспорт" for i in range(n)]})


def test_slack_batches(server):
    sleeps = []
    n = post_alerts(alerts(45), server["url"] + "/hook", kind="slack", max_per_message=20, sleep=sleeps.append)
    assert n == 45
    reqs = server["requests"]
    assert len(reqs) == 3 and all(r["path"] == "/hook" for r in reqs)
    assert [r["body"]["text"].count("Клиент") for r in reqs] == [20, 20, 5]
    assert set(reqs[0]["body"]) == {"text"} and reqs[0]["ctype"].startswith("application/json")
    assert "<упал> & экспорт" in reqs[0]["body"]["text"]
    assert sleeps == []


def test_telegram_payload(server):
    url = server["url"] + "/botTEST:TOKEN/sendMessage"
    assert post_alerts(alerts(2), url, kind="telegram", chat_id=-100123) == 2
    (req,) = server["requests"]
    assert req["path"] == "/botTEST:TOKEN/sendMessage"
    assert req["body"]["chat_id"] == -100123 and req["body"]["parse_mode"] == "HTML"
    assert "тон &lt;упал&gt; &amp; экспорт" in req["body"]["text"]


def test_retries_on_5xx_and_429_with_bounded_backoff(server):
    server["responses"] += [500, 503, 429]
    sleeps = []
    assert post_alerts(alerts(1), server["url"], retries=3, backoff=0.5, max_backoff=0.75, sleep=sleeps.append) == 1
    assert len(server["requests"]) == 4
    assert sleeps == [0.5, 0.75, 0.0]          # 0.5, min(1.0, cap 0.75), Retry-After: 0


def test_gives_up_after_retries(server):
    server["responses"] += [502] * 10
    with pytest.raises(NotifyError, match="after 3 attempts"):
        post_alerts(alerts(1), server["url"], retries=2, sleep=lambda s: None)
    assert len(server["requests"]) == 3


def test_clear_error_on_4xx_without_retry(server):
    server["responses"] += [403]
    with pytest.raises(NotifyError) as err:
        post_alerts(alerts(3), server["url"], sleep=lambda s: None)
    assert err.value.status == 403 and "HTTP 403" in str(err.value) and "nope" in err.value.body
    assert len(server["requests"]) == 1


def test_empty_and_bad_arguments(server):
    assert post_alerts(alerts(0), server["url"]) == 0 and server["requests"] == []
    with pytest.raises(ValueError):
        post_alerts(alerts(1), server["url"], kind="telegram")
    with pytest.raises(ValueError):
        post_alerts(alerts(1), server["url"], kind="email")


def test_connection_refused_is_retried_then_raises():
    with pytest.raises(NotifyError, match="URLError"):
        post_alerts(alerts(1), "http://127.0.0.1:9/none", retries=1, timeout=1, sleep=lambda s: None)
