//! The fee on the confirmation and its printed receipt: amount, method,
//! Kassenzeichen and time as the relay verified them with the provider, or
//! why no fee was due.

use contract::payment::{format_amount, FeeState, PaymentMethod, PaymentState};
use leptos::prelude::*;

use super::messages::english;
use crate::domain::timeline::format_date_time;
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

fn method_name(i18n: I18n, m: PaymentMethod) -> String {
    match m {
        PaymentMethod::SepaDirectDebit => t_string!(i18n, apply.pay_method_sepa),
        PaymentMethod::CreditCard => t_string!(i18n, apply.pay_method_card),
        PaymentMethod::Wallet => t_string!(i18n, apply.pay_method_wallet),
    }
    .to_string()
}

/// RFC 3339 (`2026-12-03T16:20:00Z`) → seconds since the epoch.
fn unix_of(rfc3339: &str) -> Option<i64> {
    let ms = js_sys::Date::parse(rfc3339);
    ms.is_finite().then_some((ms / 1000.0) as i64)
}

/// Rows for a `kern-description-list`.
#[component]
pub fn FeeRows(payment: PaymentState) -> impl IntoView {
    let i18n = use_i18n();
    let en = move || english(i18n);
    let p = StoredValue::new(payment);
    let row = |key: String, value: String| {
        view! {
            <div class="kern-description-list-item">
                <dt class="kern-description-list-item__key">{key}</dt>
                <dd class="kern-description-list-item__value">{value}</dd>
            </div>
        }
    };
    move || {
        let p = p.get_value();
        let amount = format_amount(p.amount, !en());
        match p.state {
            FeeState::Paid => {
                let info = p.payment_information.clone();
                let method = info
                    .as_ref()
                    .map(|i| {
                        format!(
                            "{} ({})",
                            method_name(i18n, i.payment_method),
                            i.payment_method_detail
                        )
                    })
                    .unwrap_or_default();
                let when = info
                    .as_ref()
                    .and_then(|i| unix_of(&i.transaction_timestamp))
                    .map(|t| format_date_time(t, !en()))
                    .unwrap_or_default();
                view! {
                    {row(t_string!(i18n, apply.sent_fee).to_string(), format!("{amount} – {}", p.title.get(en())))}
                    {row(t_string!(i18n, apply.sent_fee_method).to_string(), method)}
                    {row(t_string!(i18n, apply.pay_reference).to_string(), p.reference.clone())}
                    {row(t_string!(i18n, apply.sent_fee_paid_at).to_string(), when)}
                }
                .into_any()
            }
            FeeState::Waived => row(
                t_string!(i18n, apply.sent_fee).to_string(),
                t_string!(i18n, apply.sent_fee_waived).replace("{reason}", p.title.get(en())),
            )
            .into_any(),
            _ => ().into_any(),
        }
    }
}
