//! The service search field, used on the start page and on `/suche`.
//! It is a real GET form to `/suche?q=…`, so it also works without the app;
//! with it, submitting navigates client-side (a plain form and a navigate
//! call: the router's `<Form>` costs the first load about 3 KB brotli).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::i18n::*;

#[component]
pub fn SearchForm(
    /// Text already in the field (from the URL).
    #[prop(optional, into)]
    value: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            .and_then(|f| f.elements().named_item("q"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(input) = input {
            ev.prevent_default();
            let q = String::from(js_sys::encode_uri_component(&input.value()));
            navigate(&format!("/suche?q={q}"), Default::default());
        }
    };
    view! {
        <form action="/suche" method="get" class="search-form" role="search" on:submit=submit>
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
        </form>
    }
}
