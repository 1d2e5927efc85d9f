//! The words for form problems: every message names the field and says
//! what to do (GOV.UK style), never just "ungültig".

use super::send::SendError;
use crate::domain::form::{Issue, Problem};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

pub use crate::components::locale::english;

/// "PDF, JPEG oder PNG".
pub fn file_types(i18n: I18n, accept: &[String]) -> String {
    let names: Vec<&str> = accept
        .iter()
        .map(|m| match m.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            "image/tiff" => "TIFF",
            other => other,
        })
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} {} {}", rest.join(", "), t_string!(i18n, apply.or), last),
    }
}

/// "10 MB", "512 KB".
pub fn file_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let v = bytes as f64 / MB as f64;
        if v.fract() < 0.05 {
            format!("{v:.0} MB")
        } else {
            format!("{v:.1} MB").replace('.', ",")
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024).max(1))
    }
}

/// The message for one issue, with the repeat item in front ("Hund 2: …").
pub fn issue_message(i18n: I18n, issue: &Issue) -> String {
    let en = english(i18n);
    let hint = issue.hint.as_ref().map(|h| h.get(en));
    let label = issue.label.get(en);
    let s = |text: &str| text.replace("{label}", label);
    let text = match &issue.problem {
        Problem::Required => s(t_string!(i18n, apply.err_required)),
        Problem::ChooseOne => s(t_string!(i18n, apply.err_choose)),
        Problem::DateParts { day, month, year } => {
            let mut parts = Vec::new();
            if *day {
                parts.push(t_string!(i18n, apply.date_part_day));
            }
            if *month {
                parts.push(t_string!(i18n, apply.date_part_month));
            }
            if *year {
                parts.push(t_string!(i18n, apply.date_part_year));
            }
            let joined = match parts.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => {
                    format!(
                        "{} {} {}",
                        rest.join(", "),
                        t_string!(i18n, apply.and),
                        last
                    )
                }
                None => String::new(),
            };
            s(t_string!(i18n, apply.err_date_parts)).replace("{parts}", &joined)
        }
        Problem::DateNotReal => s(t_string!(i18n, apply.err_date_real)),
        Problem::TooShort(n) => {
            s(t_string!(i18n, apply.err_too_short)).replace("{n}", &n.to_string())
        }
        Problem::TooLong(n) => {
            s(t_string!(i18n, apply.err_too_long)).replace("{n}", &n.to_string())
        }
        Problem::Pattern => {
            let base = s(t_string!(i18n, apply.err_pattern));
            match hint {
                Some(h) => format!("{base} {h}"),
                None => base,
            }
        }
        Problem::NotWhole => s(t_string!(i18n, apply.err_not_whole)),
        Problem::NotNumber => s(t_string!(i18n, apply.err_not_number)),
        Problem::BelowMin(m) => s(t_string!(i18n, apply.err_below_min)).replace("{n}", m),
        Problem::AboveMax(m) => s(t_string!(i18n, apply.err_above_max)).replace("{n}", m),
        Problem::MustAccept => s(t_string!(i18n, apply.err_must_accept)),
        Problem::FileMissing => s(t_string!(i18n, apply.err_file_missing)),
        Problem::FileType(accept) => {
            s(t_string!(i18n, apply.err_file_type)).replace("{types}", &file_types(i18n, accept))
        }
        Problem::FileTooBig(max) => {
            s(t_string!(i18n, apply.err_file_size)).replace("{size}", &file_size(*max))
        }
        Problem::TooFewItems(n) => {
            s(t_string!(i18n, apply.err_too_few)).replace("{n}", &n.to_string())
        }
        Problem::TooManyItems(n) => {
            s(t_string!(i18n, apply.err_too_many)).replace("{n}", &n.to_string())
        }
    };
    match &issue.item {
        Some((item_label, n)) => format!("{} {n}: {text}", item_label.get(en)),
        None => text,
    }
}

/// What went wrong while sending, and what to do.
pub fn send_error_text(i18n: I18n, e: &SendError) -> String {
    match e {
        SendError::NotLoggedIn => t_string!(i18n, apply.send_err_login).to_string(),
        SendError::LevelTooLow => t_string!(i18n, apply.send_err_level).to_string(),
        SendError::Api(a) => crate::components::error::advice(i18n, a.kind()),
        SendError::Crypto(crate::browser::webcrypto::CryptoError::BadKey(_)) => {
            t_string!(i18n, common.faults.bad_key).to_string()
        }
        SendError::Crypto(_) => t_string!(i18n, apply.send_err_crypto).to_string(),
        SendError::Storage(_) => t_string!(i18n, apply.send_err_storage).to_string(),
        SendError::FileGone(name) => t_string!(i18n, apply.send_err_file).replace("{name}", name),
        SendError::Inactive => t_string!(i18n, apply.send_err_inactive).to_string(),
        SendError::UntrustedKey(_) => t_string!(i18n, apply.send_err_untrusted_key).to_string(),
        SendError::PaymentDue(_) => t_string!(i18n, apply.send_err_payment).to_string(),
        SendError::PaymentConflict => t_string!(i18n, apply.pay_conflict).to_string(),
        SendError::MandateRequest(crate::api::mandates::MandateError::InvalidRequest {
            ..
        }) => t_string!(i18n, apply.send_err_mandate_request).to_string(),
        // Another refusal (too many mandates, …): the relay's own words.
        SendError::MandateRequest(m) => m
            .message(!english(i18n))
            .map(str::to_string)
            .unwrap_or_else(|| t_string!(i18n, apply.send_err_mandate_request).to_string()),
    }
}
