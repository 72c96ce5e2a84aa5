use super::*;

fn field(key: &str, kind: FieldKind, required: bool) -> FormField {
    FormField { key: key.into(), label: key.replace('_', " "), label_zh: None, kind, required, show_if: None }
}

fn choice(options: &[&str]) -> FieldKind {
    FieldKind::Choice { options: options.iter().map(|o| o.to_string()).collect() }
}

fn when(mut f: FormField, on: &str, values: &[&str]) -> FormField {
    f.show_if = Some(Condition { field: on.into(), any_of: values.iter().map(|v| v.to_string()).collect() });
    f
}

/// "New laptop": a model; a reason shown only for the big one; an accessory list; a date.
fn laptop() -> Form {
    Form::new(vec![
        field("model", choice(&["Standard 14\"", "Developer 16\""]), true),
        when(
            field("reason", FieldKind::Text { multiline: true, max_length: 500 }, true),
            "model",
            &["Developer 16\""],
        ),
        field(
            "accessories",
            FieldKind::MultiChoice { options: vec!["Dock".into(), "Headset".into()] },
            false,
        ),
        when(
            field("monitors", FieldKind::Number { min: Some(1.0), max: Some(3.0) }, true),
            "accessories",
            &["Dock"],
        ),
        field("needed_by", FieldKind::Date, false),
    ])
    .unwrap()
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn text(s: &str) -> Answer {
    Answer::Text(s.into())
}

#[test]
fn conditions_show_and_require_fields() {
    let form = laptop();
    let small = form.check(&answers(&[("model", text("Standard 14\""))])).unwrap();
    assert_eq!(small.answers.len(), 1);
    let err = form.check(&answers(&[("model", text("Developer 16\""))])).unwrap_err();
    assert_eq!(err.field, "answers.reason", "a shown required field must be answered");
    let big = answers(&[("model", text("Developer 16\"")), ("reason", text("Builds\nand VMs"))]);
    assert_eq!(form.check(&big).unwrap().answers.len(), 2);
    // Hidden: answering it is refused, naming it.
    let hidden = answers(&[("model", text("Standard 14\"")), ("reason", text("why not"))]);
    assert_eq!(form.check(&hidden).unwrap_err().field, "answers.reason");
    // A multi-choice shows a field when it contains a value.
    let docked =
        answers(&[("model", text("Standard 14\"")), ("accessories", Answer::Choices(vec!["Dock".into()]))]);
    assert_eq!(form.check(&docked).unwrap_err().field, "answers.monitors");
    let mut two = docked.clone();
    two.insert("monitors".into(), Answer::Number(2.0));
    assert!(form.check(&two).is_ok());
}

#[test]
fn answers_are_of_their_kind_and_within_limits() {
    let form = laptop();
    let base = |k: &str, a: Answer| answers(&[("model", text("Standard 14\"")), (k, a)]);
    let field_of = |a: BTreeMap<String, Answer>| form.check(&a).unwrap_err().field;
    assert_eq!(field_of(answers(&[("model", text("Tablet"))])), "answers.model");
    assert_eq!(field_of(base("accessories", Answer::Choices(vec!["Mouse".into()]))), "answers.accessories");
    assert_eq!(field_of(base("needed_by", text("tomorrow"))), "answers.needed_by");
    let mut many = base("accessories", Answer::Choices(vec!["Dock".into()]));
    many.insert("monitors".into(), Answer::Number(4.0));
    assert_eq!(field_of(many), "answers.monitors");
    assert_eq!(field_of(base("colour", text("red"))), "answers.colour", "not on this version of the form");
    let long =
        Form::new(vec![field("note", FieldKind::Text { multiline: false, max_length: 5 }, false)]).unwrap();
    assert_eq!(long.check(&answers(&[("note", text("123456"))])).unwrap_err().field, "answers.note");
    assert_eq!(long.check(&answers(&[("note", text("a\nb"))])).unwrap_err().field, "answers.note");
    // Empty answers are no answers.
    assert!(long.check(&answers(&[("note", text("  "))])).unwrap().answers.is_empty());
}

#[test]
fn definitions_are_checked_whole() {
    let err = |fields: Vec<FormField>| Form::new(fields).unwrap_err();
    let a = field("a", choice(&["x", "y"]), false);
    let b = field("b", choice(&["x", "y"]), false);
    // A circle of conditions.
    let e = err(vec![when(a.clone(), "b", &["x"]), when(b.clone(), "a", &["y"])]);
    assert_eq!(e.field, "fields[0].show_if");
    assert!(e.message.contains("circle"), "{e:?}");
    let e = err(vec![when(a.clone(), "a", &["x"])]);
    assert_eq!(e.field, "fields[0].show_if");
    // A condition on a value the field never holds: the field would never show.
    let e = err(vec![a.clone(), when(field("c", FieldKind::Date, true), "a", &["z"])]);
    assert_eq!(e.field, "fields[1].show_if");
    assert!(e.message.contains("never show"), "{e:?}");
    assert_eq!(err(vec![when(b.clone(), "nope", &["x"])]).field, "fields[0].show_if");
    // Conditions on fields whose values cannot be compared, or on values of the wrong kind.
    let user = field("who", FieldKind::User, false);
    assert_eq!(err(vec![user, when(b.clone(), "who", &["1"])]).field, "fields[1].show_if");
    let count = field("count", FieldKind::Number { min: None, max: None }, false);
    assert_eq!(err(vec![count.clone(), when(b.clone(), "count", &["two"])]).field, "fields[1].show_if");
    let by_count = Form::new(vec![count, when(b.clone(), "count", &["2"])]).unwrap();
    let two = answers(&[("count", Answer::Number(2.0)), ("b", text("x"))]);
    assert!(by_count.check(&two).is_ok(), "a number condition compares numbers");
    assert_eq!(err(vec![a.clone(), a.clone()]).field, "fields[1].key");
    assert_eq!(err(vec![field("Bad Key", FieldKind::Date, false)]).field, "fields[0].key");
    assert_eq!(err(vec![field("c", choice(&[]), false)]).field, "fields[0].options");
    assert_eq!(err(vec![field("c", choice(&["x", "x"]), false)]).field, "fields[0].options");
    let bounds = FieldKind::Number { min: Some(3.0), max: Some(1.0) };
    assert_eq!(err(vec![field("n", bounds, false)]).field, "fields[0].min");
    assert_eq!(err(vec![field("ci", FieldKind::Ci { query: " ".into() }, false)]).field, "fields[0].query");
    let too_many: Vec<FormField> =
        (0..=MAX_FIELDS).map(|i| field(&format!("f{i}"), FieldKind::Date, false)).collect();
    assert_eq!(err(too_many).field, "fields");
    // A chain (not a circle) is fine, and a field hidden by a hidden field is hidden.
    let chain = Form::new(vec![
        a.clone(),
        when(b.clone(), "a", &["x"]),
        when(field("c", FieldKind::Date, true), "b", &["y"]),
    ])
    .unwrap();
    let only_a = answers(&[("a", text("y"))]);
    assert!(chain.check(&only_a).is_ok(), "b hidden, so c hidden: nothing required");
    let ab = answers(&[("a", text("x")), ("b", text("y"))]);
    assert_eq!(chain.check(&ab).unwrap_err().field, "answers.c");
}

#[test]
fn ci_queries_select_by_class_and_attributes() {
    let attrs: BTreeMap<String, String> = [("env".to_owned(), "prod".to_owned())].into();
    assert!(ci_query_matches("class:server env:prod", "server", &attrs));
    assert!(!ci_query_matches("class:server env:test", "server", &attrs));
    assert!(!ci_query_matches("class:database", "server", &attrs));
    assert!(!ci_query_matches("server", "server", &attrs), "a bare word is no term");
    let bad = Form::new(vec![field("host", FieldKind::Ci { query: "class:".into() }, true)]).unwrap_err();
    assert_eq!(bad.field, "fields[0].query");
}
