//! CI classes: typed attributes (admins may define more classes), and the validation of a CI's
//! attribute values against its class.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::ids::CiId;

/// The type of one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrType {
    Text,
    Number,
    /// `YYYY-MM-DD`
    Date,
    Bool,
    /// IPv4 or IPv6, stored in canonical form.
    Ip,
    /// One of the listed values.
    Enum(Vec<String>),
    /// The id of another CI (of the named class, or any class when empty).
    Reference(String),
}

impl AttrType {
    /// `text`, `number`, `date`, `bool`, `ip`, `enum:a|b|c`, `reference:server`.
    pub fn parse(s: &str) -> Result<AttrType, String> {
        let (head, tail) = s.split_once(':').unwrap_or((s, ""));
        Ok(match head.trim() {
            "text" => AttrType::Text,
            "number" => AttrType::Number,
            "date" => AttrType::Date,
            "bool" => AttrType::Bool,
            "ip" => AttrType::Ip,
            "enum" => {
                let values: Vec<String> =
                    tail.split('|').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect();
                if values.is_empty() {
                    return Err("an enum needs its values: `enum:a|b|c`".into());
                }
                AttrType::Enum(values)
            }
            "reference" => AttrType::Reference(tail.trim().to_owned()),
            other => {
                return Err(format!(
                    "unknown attribute type `{other}`: expected text, number, date, bool, ip, enum:…, reference:…"
                ));
            }
        })
    }
}

impl fmt::Display for AttrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrType::Text => f.write_str("text"),
            AttrType::Number => f.write_str("number"),
            AttrType::Date => f.write_str("date"),
            AttrType::Bool => f.write_str("bool"),
            AttrType::Ip => f.write_str("ip"),
            AttrType::Enum(v) => write!(f, "enum:{}", v.join("|")),
            AttrType::Reference(c) => write!(f, "reference:{c}"),
        }
    }
}

/// One attribute of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrDef {
    pub name: String,
    pub ty: AttrType,
    pub required: bool,
    /// No two CIs of the class share a value.
    pub unique: bool,
}

/// A CI class: a name and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDef {
    pub name: String,
    pub attrs: Vec<AttrDef>,
}

/// A value as typed by a person or an import file.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    Number(f64),
    Bool(bool),
}

/// A validated value, in the canonical text form it is stored and compared in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AttrValue(pub String);

/// What is wrong with one attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{attr}: {reason}")]
pub struct AttrError {
    pub attr: String,
    pub reason: String,
}

fn err(attr: &str, reason: impl Into<String>) -> AttrError {
    AttrError { attr: attr.to_owned(), reason: reason.into() }
}

fn text_of(v: &RawValue) -> String {
    match v {
        RawValue::Text(s) => s.trim().to_owned(),
        RawValue::Number(n) => n.to_string(),
        RawValue::Bool(b) => b.to_string(),
    }
}

impl AttrDef {
    /// Checks one value and returns its canonical form. References are checked for form here
    /// (a positive id); that the CI exists is the store's to say.
    pub fn check(&self, v: &RawValue) -> Result<AttrValue, AttrError> {
        let name = &self.name;
        let text = text_of(v);
        let canonical = match &self.ty {
            AttrType::Text => {
                if text.chars().count() > 1000 {
                    return Err(err(name, "at most 1000 characters"));
                }
                text
            }
            AttrType::Number => {
                let n = match v {
                    RawValue::Number(n) => *n,
                    RawValue::Text(s) => {
                        s.trim().parse::<f64>().map_err(|_| err(name, format!("`{s}` is not a number")))?
                    }
                    RawValue::Bool(_) => return Err(err(name, "expected a number, not true/false")),
                };
                if !n.is_finite() {
                    return Err(err(name, "expected a finite number"));
                }
                n.to_string()
            }
            AttrType::Date => text
                .parse::<jiff::civil::Date>()
                .map_err(|_| err(name, format!("`{text}` is not a date (YYYY-MM-DD)")))?
                .to_string(),
            AttrType::Bool => match (v, text.as_str()) {
                (RawValue::Bool(b), _) => b.to_string(),
                (_, "true" | "yes" | "1") => "true".into(),
                (_, "false" | "no" | "0") => "false".into(),
                _ => return Err(err(name, format!("`{text}` is not true or false"))),
            },
            AttrType::Ip => text
                .parse::<IpAddr>()
                .map_err(|_| err(name, format!("`{text}` is not an IP address")))?
                .to_string(),
            AttrType::Enum(values) => {
                if !values.contains(&text) {
                    return Err(err(name, format!("`{text}` is not one of {}", values.join(", "))));
                }
                text
            }
            AttrType::Reference(_) => match text.parse::<i64>() {
                Ok(id) if id > 0 => id.to_string(),
                _ => return Err(err(name, format!("`{text}` is not a CI id"))),
            },
        };
        Ok(AttrValue(canonical))
    }
}

impl ClassDef {
    /// Validates a CI's attributes: every name known, every value of its type, every required
    /// one present (and not empty).
    pub fn validate(
        &self,
        raw: &BTreeMap<String, RawValue>,
    ) -> Result<BTreeMap<String, AttrValue>, AttrError> {
        let mut out = BTreeMap::new();
        for (name, value) in raw {
            let def = self.attrs.iter().find(|a| &a.name == name).ok_or_else(|| {
                let known: Vec<&str> = self.attrs.iter().map(|a| a.name.as_str()).collect();
                err(name, format!("class {} has no such attribute (it has: {})", self.name, known.join(", ")))
            })?;
            let v = def.check(value)?;
            if !v.0.is_empty() {
                out.insert(name.clone(), v);
            }
        }
        if let Some(missing) = self.attrs.iter().find(|a| a.required && !out.contains_key(&a.name)) {
            return Err(err(&missing.name, "is required"));
        }
        Ok(out)
    }

    /// The references among `values`: (attribute, class it must be, id).
    pub fn references<'a>(
        &'a self,
        values: &'a BTreeMap<String, AttrValue>,
    ) -> Vec<(&'a str, &'a str, CiId)> {
        self.attrs
            .iter()
            .filter_map(|a| match &a.ty {
                AttrType::Reference(class) => values
                    .get(&a.name)
                    .and_then(|v| v.0.parse().ok())
                    .map(|id| (a.name.as_str(), class.as_str(), CiId(id))),
                _ => None,
            })
            .collect()
    }
}

/// A class name: lowercase letters, digits and `_`, 2–40 characters, starting with a letter.
pub fn parse_class_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(s.to_owned()) } else { Err(format!("`{s}` is not a class name (a-z, 0-9, _; 2–40)")) }
}

fn attr(name: &str, ty: &str, required: bool, unique: bool) -> AttrDef {
    AttrDef { name: name.into(), ty: AttrType::parse(ty).unwrap_or(AttrType::Text), required, unique }
}

/// The classes Steward ships with.
pub fn builtin_classes() -> Vec<ClassDef> {
    let class = |name: &str, attrs: Vec<AttrDef>| ClassDef { name: name.into(), attrs };
    vec![
        class("business_service", vec![attr("sla_tier", "enum:gold|silver|bronze", false, false)]),
        class(
            "application",
            vec![attr("version", "text", false, false), attr("vendor", "text", false, false)],
        ),
        class("database", vec![attr("engine", "text", false, false), attr("version", "text", false, false)]),
        class(
            "server",
            vec![
                attr("hostname", "text", true, true),
                attr("ip_address", "ip", false, true),
                attr("os", "text", false, false),
                attr("cpu_cores", "number", false, false),
                attr("memory_gb", "number", false, false),
                attr("location", "reference:location", false, false),
            ],
        ),
        class(
            "virtual_machine",
            vec![
                attr("hostname", "text", true, true),
                attr("ip_address", "ip", false, true),
                attr("os", "text", false, false),
            ],
        ),
        class("container", vec![attr("image", "text", false, false)]),
        class(
            "network_device",
            vec![
                attr("hostname", "text", true, true),
                attr("ip_address", "ip", false, true),
                attr("kind", "enum:switch|router|firewall|access_point", false, false),
            ],
        ),
        class("load_balancer", vec![attr("vip", "ip", false, true)]),
        class("storage", vec![attr("capacity_tb", "number", false, false)]),
        class("location", vec![attr("address", "text", false, false)]),
        class(
            "contract",
            vec![
                attr("vendor", "text", true, false),
                attr("expires_on", "date", false, false),
                attr("seats", "number", false, false),
            ],
        ),
    ]
}
