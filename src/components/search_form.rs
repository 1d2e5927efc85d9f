//! The service search field, used on the start page and on `/suche`.
//! It is a real GET form to `/suche?q=…`, so it also works as a plain link.

use leptos::prelude::*;
use leptos_router::components::Form;

use crate::i18n::*;

#[component]
pub fn SearchForm(
    /// Text already in the field (from the URL).
    #[prop(optional, into)]
    value: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Form action="/suche" method="get" attr:class="search-form" attr:role="search">
            <div class="kern-form-input">
                <label class="kern-label" for="suche-q">{t!(i18n, pages.search_label)}</label>
                <div class="kern-hint" id="suche-q-hint">{t!(i18n, pages.search_hint)}</div>
                <div class="search-form__row">
                    <input
                        class="kern-form-input__input"
                        id="suche-q"
                        name="q"
                        type="search"
                        autocomplete="off"
                        aria-describedby="suche-q-hint"
                        prop:value=move || value.get()
                    />
                    <button type="submit" class="kern-btn kern-btn--primary">
                        <span class="kern-icon kern-icon--search" aria-hidden="true"></span>
                        <span class="kern-label">{t!(i18n, pages.search_button)}</span>
                    </button>
                </div>
            </div>
        </Form>
    }
}
