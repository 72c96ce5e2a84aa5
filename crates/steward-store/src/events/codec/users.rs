//! Users' snapshots as the log stores them (kept out of `codec.rs` to keep it readable; the
//! stored names never change once written).

use serde_json::{Map, Value, json};
use steward_core::identity::UserSnapshot;

use super::{Decoded, Obj};

pub(super) fn user(u: &UserSnapshot) -> Value {
    let mut v = json!({
        "username": u.username, "display_name": u.display_name, "email": u.email, "role": u.role,
        "disabled": u.disabled, "locale": u.locale, "organisation": u.organisation,
    });
    // Written only when set, so snapshots from before time zones read back byte for byte.
    if let Some(zone) = &u.time_zone {
        v["time_zone"] = json!(zone);
    }
    if let Some(manager) = u.manager_id {
        v["manager_id"] = json!(manager);
    }
    v
}

pub(super) fn decode_user(m: Map<String, Value>) -> Decoded<UserSnapshot> {
    let o = Obj(m);
    Ok(UserSnapshot {
        username: o.text("username")?,
        display_name: o.text("display_name")?,
        email: o.opt_text("email")?,
        role: o.text("role")?,
        disabled: o.bool("disabled")?,
        locale: o.opt_text("locale")?,
        organisation: o.opt_text("organisation")?,
        time_zone: o.opt_text("time_zone")?,
        manager_id: o.opt_int("manager_id")?,
    })
}
