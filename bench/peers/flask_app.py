"""flask_app.py: the Flask + gunicorn peer of the benchmark.

What a careful team would write in an afternoon: verify X-PagerDuty-Signature
over the raw body exactly as PagerDuty's docs say (split on ",", keep the v1=
entries, HMAC-SHA256 hex of the raw body with each secret, constant-time
compare), then POST {"trigger": "pagerduty.<type>", "payload": {...}} to
StackStorm with urllib and answer 202 only once StackStorm answered 2xx.
So its 2xx means "StackStorm has it"; there is no spool and no de-duplication:
if StackStorm is down it answers 500 and relies on PagerDuty's retries.

Configured by the environment: PD_SECRETS (comma-separated), ST2_URL (API base
URL), ST2_API_KEY. Run by gunicorn: `gunicorn flask_app:app`.
"""
import hashlib
import hmac
import json
import os
import urllib.request

from flask import Flask, request

SECRETS = [s.encode() for s in os.environ["PD_SECRETS"].split(",") if s]
ST2_HOOK = os.environ["ST2_URL"].rstrip("/") + "/v1/webhooks/st2"
ST2_HEADERS = {"Content-Type": "application/json", "St2-Api-Key": os.environ["ST2_API_KEY"]}

app = Flask(__name__)


def signature_ok(body, header):
    """True when one v1= entry is the HMAC of the body under one secret."""
    given = [p[3:] for p in header.split(",") if p.startswith("v1=")]
    for secret in SECRETS:
        want = hmac.new(secret, body, hashlib.sha256).hexdigest()
        for sig in given:
            if hmac.compare_digest(want, sig.lower()):
                return True
    return False


@app.post("/webhooks/pagerduty")
def pagerduty():
    """Verify, forward to StackStorm, then answer."""
    body = request.get_data(cache=False)
    if not signature_ok(body, request.headers.get("X-PagerDuty-Signature", "")):
        return "", 401
    try:
        event = json.loads(body)["event"]
        event_type = event["event_type"]
    except (ValueError, KeyError, TypeError):
        return "", 400
    payload = {
        "event_id": event.get("id"),
        "event_type": event_type,
        "resource_type": event.get("resource_type"),
        "occurred_at": event.get("occurred_at"),
        "agent": event.get("agent"),
        "client": event.get("client"),
        "data": event.get("data"),
        "webhook_id": request.headers.get("X-Webhook-Id"),
        "subscription_id": request.headers.get("X-Webhook-Subscription"),
        "source": "webhook",
    }
    trigger = json.dumps({"trigger": "pagerduty." + event_type, "payload": payload}).encode()
    req = urllib.request.Request(ST2_HOOK, data=trigger, headers=ST2_HEADERS, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
    return "", 202
