use std::collections::BTreeMap;

use super::*;

fn now() -> Timestamp {
    "2030-06-01T12:00:00Z".parse().unwrap()
}

fn raw(status: &str, labels: &[(&str, &str)]) -> RawAlert {
    RawAlert {
        status: status.into(),
        labels: labels.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
        ..RawAlert::default()
    }
}

#[test]
fn an_alert_is_checked_and_named_from_its_labels() {
    let mut r = raw("firing", &[("alertname", "HostDown"), ("instance", "web01:9100"), ("severity", "page")]);
    r.fingerprint = Some("abc123".into());
    r.starts_at = Some("2030-06-01T11:59:00Z".parse().unwrap());
    let a = Alert::parse("alertmanager", "alerts[0]", r, now()).unwrap();
    assert_eq!((a.severity, a.status, a.ends_at), (Severity::Critical, AlertStatus::Firing, None));
    assert_eq!(a.title(), "HostDown");
    assert_eq!(a.subject().as_deref(), Some("web01"));
    assert_eq!(incident_levels(a.severity), Some((2, 1)), "a critical alert opens a P2");
    assert_eq!(incident_levels(Severity::from_label(Some("warning"))), Some((2, 2)), "a warning a P3");
    assert_eq!(incident_levels(Severity::from_label(None)), None);

    let mut with_summary = raw("resolved", &[("alertname", "DiskFull"), ("instance", "[::1]:9100")]);
    with_summary.annotations = BTreeMap::from([("summary".into(), "Disk /var is 98% full".into())]);
    let b = Alert::parse("alertmanager", "alerts[1]", with_summary, now()).unwrap();
    assert_eq!(b.title(), "Disk /var is 98% full");
    assert_eq!(b.ends_at, Some(now()), "resolved without an end: ends now");
    assert_eq!(b.subject().as_deref(), Some("::1"));
    assert_eq!(b.fingerprint.len(), 16, "made from the labels");
    assert_eq!(b.fingerprint, label_fingerprint(&b.labels));
}

#[test]
fn bad_alerts_are_refused_naming_the_field() {
    let err = Alert::parse("x", "alerts[2]", raw("burning", &[("alertname", "A")]), now()).unwrap_err();
    assert_eq!(err.field, "alerts[2].status");
    let err = Alert::parse("x", "alerts[0]", raw("firing", &[]), now()).unwrap_err();
    assert_eq!(err.field, "alerts[0].labels");
    let mut future = raw("firing", &[("alertname", "A")]);
    future.starts_at = Some("2031-01-01T00:00:00Z".parse().unwrap());
    assert_eq!(Alert::parse("x", "alerts[0]", future, now()).unwrap_err().field, "alerts[0].startsAt");
    let mut old = raw("resolved", &[("alertname", "A")]);
    old.ends_at = Some("1969-12-31T00:00:00Z".parse().unwrap());
    assert_eq!(Alert::parse("x", "alerts[0]", old, now()).unwrap_err().field, "alerts[0].endsAt");
    let long = "x".repeat(5000);
    let err = Alert::parse("x", "a", raw("firing", &[("alertname", &long)]), now()).unwrap_err();
    assert_eq!(err.field, "a.labels.alertname");
}
