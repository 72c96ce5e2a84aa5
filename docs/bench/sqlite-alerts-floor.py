#!/usr/bin/env python3
"""What SQLite alone needs to take the alerts of `steward bench alerts` durably: per webhook one
transaction that reads the 50 alerts by fingerprint, inserts 10 new ones (one statement),
counts the 40 repeats (one UPDATE … WHERE id IN), appends 10 events (one statement), and
commits with the writer's pragmas (WAL, synchronous=FULL). Same tables and indexes as
migrations 0021/0023 and the event log; no HTTP, no JSON parsing, no hashing, no Steward code.

    python3 docs/bench/sqlite-alerts-floor.py [webhooks]
"""
import os, sqlite3, sys, time

webhooks = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
path = "/tmp/alerts-floor.db"
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.executescript("""
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
CREATE TABLE alerts (id INTEGER PRIMARY KEY, source TEXT NOT NULL, fingerprint TEXT NOT NULL, group_key TEXT NOT NULL,
  status TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, subject TEXT, labels TEXT NOT NULL,
  annotations TEXT NOT NULL, link TEXT, starts_at BIGINT NOT NULL, ends_at BIGINT, first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL, repeats BIGINT NOT NULL DEFAULT 0, ticket_id BIGINT, ci_id BIGINT, silence_id BIGINT,
  flips BIGINT NOT NULL DEFAULT 0, flips_since BIGINT, CONSTRAINT alerts_fingerprint_key UNIQUE (source, fingerprint));
CREATE INDEX alerts_by_status ON alerts (status, last_seen);
CREATE INDEX alerts_by_ticket ON alerts (ticket_id);
CREATE INDEX alerts_by_group ON alerts (source, group_key, ticket_id);
CREATE INDEX alerts_by_ci ON alerts (ci_id, status);
CREATE TABLE events (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor_id BIGINT, actor_name TEXT NOT NULL,
  entity_type TEXT NOT NULL, entity_id TEXT, action TEXT NOT NULL, before_json TEXT, after_json TEXT,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX events_entity ON events (entity_type, entity_id, seq);
""")
groups, per, new = 200, 50, 10
labels = '{"alertname":"Bench1","group":"g1","instance":"host-1-1:9100","job":"node","severity":"warning"}'
seen = [0] * groups
seq = 0
now = 1_767_225_600_000

def row(g, n):
    return ("alertmanager", f"{g:04x}{n:08x}", f'{{}}:{{group="g{g}"}}', "firing", "warning", f"Bench alert {n} of group {g}",
            f"host-{g}-{n % 50}", labels, '{"summary":"Bench alert"}', "http://prometheus.bench/graph", now, None, now, now)

def webhook(g, fresh, repeats):
    global seq
    db.execute("BEGIN IMMEDIATE")
    fps = [f"{g:04x}{n:08x}" for n in list(repeats) + list(fresh)]
    ids = [r[0] for r in db.execute(f"SELECT id FROM alerts WHERE source = 'alertmanager' AND fingerprint IN ({','.join('?' * len(fps))})", fps)]
    rows = [row(g, n) for n in fresh]
    values = ",".join(["(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"] * len(rows))
    inserted = db.execute("INSERT INTO alerts (source, fingerprint, group_key, status, severity, title, subject, labels, "
                          f"annotations, link, starts_at, ends_at, first_seen, last_seen) VALUES {values} RETURNING id",
                          [v for r in rows for v in r]).fetchall()
    if ids:
        db.execute(f"UPDATE alerts SET last_seen = ?, repeats = repeats + 1 WHERE id IN ({','.join('?' * len(ids))})", [now] + ids)
    events = []
    for (id_,) in inserted:
        seq += 1
        events += [seq, now, 1, "bench.agent", "alert", str(id_), "receive", None,
                   '{"source":"alertmanager","fingerprint":"0001000000aa","title":"Bench alert","severity":"warning","status":"firing"}',
                   "0" * 64, "f" * 64]
    db.execute(f"INSERT INTO events VALUES {','.join(['(?,?,?,?,?,?,?,?,?,?,?)'] * len(inserted))}", events)
    db.execute("COMMIT")

for g in range(groups):
    webhook(g, range(per), [])
    seen[g] = per
t0 = time.perf_counter()
for i in range(webhooks):
    g = i % groups
    webhook(g, range(seen[g], seen[g] + new), range(seen[g] - (per - new), seen[g]))
    seen[g] += new
secs = time.perf_counter() - t0
print(f"SQLite floor: {webhooks} webhooks of {per} alerts in {secs:.2f} s = {webhooks * per / secs:.0f} alerts/s "
      f"({secs / webhooks * 1000:.2f} ms per webhook, one writer, synchronous=FULL)")
