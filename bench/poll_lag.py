#!/usr/bin/env python3
"""poll_lag.py: the sensor's two figures, measured against the stand-ins.

1. Lag: from a log entry's creation to its trigger reaching StackStorm,
   with poll.mode only. The PagerDuty stand-in is given one entry at a time
   (created_at = the moment it is added, to PagerDuty's second), at
   moments spread over the poll interval, and the StackStorm stand-in
   records when each trigger arrives:

       python3 bench/poll_lag.py lag [--interval 5] [--entries 20]

2. Requests per hour: every request serve sends PagerDuty over a measured
   period (polls and the subscription watchdog, one subscription watched),
   from the stand-in's request log, scaled to an hour:

       python3 bench/poll_lag.py requests [--interval 30] [--minutes 10]

Both use build/st2-pagerduty (or --bin, or $PD_BIN) and print a small table.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import API_KEY, Daemon, wait_for  # noqa: E402
from pd_standin import PdStandIn, incident, log_entry, subscription  # noqa: E402
from st2_standin import St2StandIn  # noqa: E402

PD_KEY = "standin-api-key"


def daemon(pd, interval, st2=None, **webhook):
    d = Daemon(st2_url="http://127.0.0.1:%d" % st2.port if st2 else None)
    d.config["api_key"] = PD_KEY
    d.config["pagerduty"] = {"api_url": pd.url}
    d.config["poll"] = {"mode": "only", "interval_s": interval}
    d.config["webhook"].update(webhook)
    d.write_config()
    return d


def measure_lag(args):
    pd = PdStandIn(api_key=PD_KEY).start()
    st2 = St2StandIn(api_key=API_KEY).start()
    d = daemon(pd, args.interval, st2)
    try:
        d.cli("register")
        d.start()
        wait_for(lambda: pd.requests("GET", "/log_entries"), 60, what="the first poll")
        created = {}
        # Phases spread over the interval: 0.37 of it apart, so no two land alike.
        for i in range(args.entries):
            t = time.time()
            eid = "QLAG%04d" % i
            pd.add_log_entries([log_entry("trigger_log_entry", "PLAG%04d" % i, int(t),
                                          entry_id=eid)],
                               incidents=[incident("PLAG%04d" % i, number=i + 1)])
            created[eid] = t
            time.sleep(args.interval * 0.37)
        wait_for(lambda: len(st2.triggers()) >= args.entries, 120, what="every trigger")
        if d.proc.poll() is not None:
            raise SystemExit("serve stopped during the measurement:\n" + d.logs()[-2000:])
        lags = sorted(t["time"] - created[t["payload"]["event_id"]] for t in st2.triggers())
    finally:
        d.stop()
        d.cleanup()
        st2.stop()
        pd.stop()
    p90 = lags[max(0, int(round(0.9 * len(lags))) - 1)]
    print("poll.interval_s %d, %d log entries, lag from creation to the trigger at StackStorm:"
          % (args.interval, len(lags)))
    print("  min %.2f s   median %.2f s   p90 %.2f s   max %.2f s   mean %.2f s" % (
        lags[0], statistics.median(lags), p90, lags[-1], statistics.mean(lags)))


def measure_requests(args):
    pd = PdStandIn(api_key=PD_KEY).start()
    pd.add_subscription(subscription("PSUB001", "https://hooks.example.com/webhooks/pagerduty"))
    d = daemon(pd, args.interval, subscription_ids=["PSUB001"])
    try:
        d.start()
        wait_for(lambda: pd.requests("GET", "/log_entries"), 120, what="the first poll")
        t0 = time.monotonic()
        n0 = len(pd.requests())
        end = t0 + args.minutes * 60
        i = 0
        # A quiet account: an incident triggered now and then during the period.
        while time.monotonic() < end:
            now = time.time()
            pd.add_log_entries([log_entry("trigger_log_entry", "PREQ%04d" % i, int(now))],
                               incidents=[incident("PREQ%04d" % i)])
            i += 1
            time.sleep(min(45, max(0, end - time.monotonic())))
        reqs = pd.requests()[n0:]
        elapsed = time.monotonic() - t0
        # A figure from a daemon that died half way would be wrong, not just late.
        if d.proc.poll() is not None:
            raise SystemExit("serve stopped during the measurement:\n" + d.logs()[-2000:])
    finally:
        d.stop()
        d.cleanup()
        pd.stop()
    polls = sum(1 for r in reqs if r["path"] == "/log_entries")
    watch = sum(1 for r in reqs if r["path"].startswith("/webhook_subscriptions"))
    per_hour = 3600.0 / elapsed
    print("poll.interval_s %d, one subscription watched, %.0f s measured, %d log entries added:"
          % (args.interval, elapsed, i))
    print("  GET /log_entries %d (%.0f/h)   watchdog %d (%.0f/h)   total %.0f requests/h" % (
        polls, polls * per_hour, watch, watch * per_hour, (polls + watch) * per_hour))
    period = min(300, max(5, 5 * args.interval))
    print("  formula: 3600/%d polls x pages (1 while a window holds <= 100 entries) + 3600/%d "
          "watchdog checks x subscriptions = %d/h" % (args.interval, period,
                                                     3600 // args.interval + 3600 // period))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("lag", "requests"))
    ap.add_argument("--bin", default=None)
    ap.add_argument("--interval", type=int, default=None)
    ap.add_argument("--entries", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=10)
    args = ap.parse_args()
    if args.bin:
        import harness
        harness.BIN = os.path.abspath(args.bin)
    if args.what == "lag":
        args.interval = args.interval or 5
        measure_lag(args)
    else:
        args.interval = args.interval or 30
        measure_requests(args)


if __name__ == "__main__":
    main()
