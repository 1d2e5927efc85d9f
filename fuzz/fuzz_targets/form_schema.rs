//! The form-schema reader on arbitrary bytes, and the engine over every
//! schema it accepts (empty answers): no panic, and what it accepts is
//! consistent — each field on exactly one step, step ids are URL slugs,
//! and validation, data and review only ever name fields of the schema.
#![no_main]

use buergeramt::domain::form::schema::is_slug;
use buergeramt::domain::form::{
    parse_form, review, to_data, validate_all, validate_step, Answers, ReviewRow,
};
use buergeramt_fuzz::{assert_data_fits, field_at, Re};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(form) = parse_form(text) else {
        return;
    };
    assert!(!form.steps.is_empty());
    for step in &form.steps {
        assert!(is_slug(&step.id), "step id {:?}", step.id);
    }
    for f in &form.fields {
        let on = form
            .steps
            .iter()
            .filter(|s| s.fields.contains(&f.id))
            .count();
        assert_eq!(on, 1, "field {} is on {on} steps", f.id);
    }
    // The same schema read twice is the same form.
    assert_eq!(parse_form(text).as_ref(), Ok(&form));

    let answers = Answers::default();
    let re = Re::default();
    let all = validate_all(&form, &answers, &re);
    let by_step: Vec<_> = (0..form.steps.len())
        .flat_map(|s| validate_step(&form, s, &answers, &re))
        .collect();
    assert_eq!(all, by_step);
    for issue in &all {
        let (_, step) = field_at(&form, &issue.path)
            .unwrap_or_else(|| panic!("issue on {:?}, not a field", issue.path));
        assert_eq!(step, issue.step, "issue {:?} on the wrong step", issue.path);
        assert!(
            field_at(&form, &issue.target).is_some(),
            "{:?}",
            issue.target
        );
    }
    let data = to_data(&form, &answers);
    assert_data_fits(&form.fields, &data, "");
    for step in 0..form.steps.len() {
        for row in review(&form, step, &answers, step % 2 == 0) {
            if let ReviewRow::Answer { target, .. } = row {
                assert!(field_at(&form, &target).is_some(), "review row {target:?}");
            }
        }
    }
});
