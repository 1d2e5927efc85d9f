//! The encrypted draft store (IndexedDB + WebCrypto, headless Chromium).
//! Every test uses fresh random `sub`s, so runs do not see each other.
#![cfg(target_arch = "wasm32")]

use buergeramt::browser::drafts::{
    account_id, open_database, DraftStore, StorageError, DRAFTS_STORE, FILES_STORE, KEYS_STORE,
};
use buergeramt::browser::idb;
use buergeramt::browser::webcrypto::random_uuid;
use buergeramt::browser::{js_error_text, subtle};
use js_sys::{Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::IdbTransactionMode;

wasm_bindgen_test_configure!(run_in_browser);

const ANSWERS: &str =
    r#"{"vorname":"Erika","nachname":"Mustermann","geheimnis":"Heidestraße 17 Köln"}"#;

fn fresh_sub() -> String {
    format!("test-sub-{}", random_uuid().unwrap())
}

async fn fresh_store() -> DraftStore {
    DraftStore::open(&fresh_sub()).await.unwrap()
}

/// The raw IndexedDB value under `key` in `store_name`.
async fn raw(store_name: &str, key: &str) -> Option<JsValue> {
    let db = open_database().await.unwrap();
    let tx = db
        .transaction_with_str_and_mode(store_name, IdbTransactionMode::Readonly)
        .unwrap();
    let req = tx
        .object_store(store_name)
        .unwrap()
        .get(&key.into())
        .unwrap();
    let v = idb::request(&req).await.unwrap();
    (!v.is_undefined()).then_some(v)
}

async fn put_raw(store_name: &str, key: &str, value: &JsValue) {
    let db = open_database().await.unwrap();
    let tx = db
        .transaction_with_str_and_mode(store_name, IdbTransactionMode::Readwrite)
        .unwrap();
    tx.object_store(store_name)
        .unwrap()
        .put_with_key(value, &key.into())
        .unwrap();
    idb::transaction_done(&tx).await.unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every byte of a stored record that is not the ciphertext, plus the ciphertext.
fn record_bytes(value: &JsValue) -> (String, Vec<u8>) {
    let data = Reflect::get(value, &"data".into())
        .unwrap()
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let name = Reflect::get(value, &"name".into())
        .unwrap()
        .as_string()
        .unwrap();
    (name, data)
}

#[wasm_bindgen_test]
async fn a_draft_round_trips() {
    let store = fresh_store().await;
    assert_eq!(store.load("hundesteuer").await.unwrap(), None);
    let before = js_sys::Date::now();
    let saved_at = store.save("hundesteuer", ANSWERS).await.unwrap();
    assert!(saved_at >= before && saved_at <= js_sys::Date::now() + 1000.0);
    let draft = store.load("hundesteuer").await.unwrap().unwrap();
    assert_eq!(draft.json, ANSWERS);
    assert_eq!(draft.saved_at, saved_at);
    // Overwriting replaces.
    store.save("hundesteuer", "{}").await.unwrap();
    assert_eq!(store.load("hundesteuer").await.unwrap().unwrap().json, "{}");
}

#[wasm_bindgen_test]
async fn drafts_survive_reopening_as_after_a_new_login() {
    let sub = fresh_sub();
    let first = DraftStore::open(&sub).await.unwrap();
    first.save("briefwahl", ANSWERS).await.unwrap();
    drop(first);
    let again = DraftStore::open(&sub).await.unwrap();
    assert_eq!(
        again.load("briefwahl").await.unwrap().unwrap().json,
        ANSWERS
    );
}

#[wasm_bindgen_test]
async fn the_account_id_is_the_hashed_sub() {
    let sub = fresh_sub();
    let expected: String = Sha256::digest(format!("buergeramt-drafts:{sub}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(account_id(&sub).await.unwrap(), expected);
    let store = DraftStore::open(&sub).await.unwrap();
    assert_eq!(store.account(), expected);
    assert!(!store.record_key("x").contains(&sub));
}

#[wasm_bindgen_test]
async fn the_stored_record_holds_no_plaintext() {
    let store = fresh_store().await;
    store.save("gewerbe", ANSWERS).await.unwrap();
    let value = raw(DRAFTS_STORE, &store.record_key("gewerbe"))
        .await
        .unwrap();
    let (_, data) = record_bytes(&value);
    assert_eq!(data.len(), ANSWERS.len() + 16, "ciphertext and tag");
    for needle in ["Erika", "Mustermann", "Heidestraße", "vorname"] {
        assert!(
            !contains(&data, needle.as_bytes()),
            "{needle} in ciphertext"
        );
    }
    let json = String::from(js_sys::JSON::stringify(&value).unwrap());
    assert!(!json.contains("Erika"));
    let iv = Reflect::get(&value, &"iv".into())
        .unwrap()
        .dyn_into::<Uint8Array>()
        .unwrap();
    assert_eq!(iv.length(), 12);

    // A second save of the same text uses a fresh IV and so other bytes.
    store.save("gewerbe", ANSWERS).await.unwrap();
    let again = raw(DRAFTS_STORE, &store.record_key("gewerbe"))
        .await
        .unwrap();
    assert_ne!(record_bytes(&again).1, data);
}

#[wasm_bindgen_test]
async fn the_key_is_stored_non_extractable() {
    let store = fresh_store().await;
    let key: web_sys::CryptoKey = raw(KEYS_STORE, store.account())
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(!key.extractable());
    let export = subtle().unwrap().export_key("raw", &key).unwrap();
    let refused = JsFuture::from(export).await.unwrap_err();
    assert!(js_error_text(&refused).contains("InvalidAccessError"));
}

#[wasm_bindgen_test]
async fn another_account_sees_nothing() {
    let erika = fresh_store().await;
    let max = fresh_store().await;
    erika.save("wohnsitz", ANSWERS).await.unwrap();
    erika.save("fuehrungszeugnis", "{}").await.unwrap();
    assert_ne!(erika.account(), max.account());
    assert_eq!(max.list().await.unwrap(), vec![]);
    assert_eq!(max.load("wohnsitz").await.unwrap(), None);
    assert_eq!(max.load_file("wohnsitz").await.unwrap(), None);
    let mine: Vec<String> = erika
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.form_key)
        .collect();
    assert_eq!(mine, vec!["wohnsitz", "fuehrungszeugnis"]);
}

#[wasm_bindgen_test]
async fn a_record_moved_to_another_account_does_not_decrypt() {
    let erika = fresh_store().await;
    let max = fresh_store().await;
    erika.save("wohnsitz", ANSWERS).await.unwrap();
    let value = raw(DRAFTS_STORE, &erika.record_key("wohnsitz"))
        .await
        .unwrap();
    // Copied into Max's key range: Max's key does not open it …
    put_raw(DRAFTS_STORE, &max.record_key("wohnsitz"), &value).await;
    assert_eq!(max.list().await.unwrap(), vec![]);
    assert_eq!(max.load("wohnsitz").await.unwrap(), None);
    // … and the copy is gone, while Erika's is untouched.
    assert!(raw(DRAFTS_STORE, &max.record_key("wohnsitz"))
        .await
        .is_none());
    assert_eq!(erika.load("wohnsitz").await.unwrap().unwrap().json, ANSWERS);
    // Moved to another form key of the same account: refused too.
    put_raw(DRAFTS_STORE, &erika.record_key("anderes"), &value).await;
    assert_eq!(erika.load("anderes").await.unwrap(), None);
    // Moved to the files store: refused too.
    put_raw(FILES_STORE, &erika.record_key("wohnsitz"), &value).await;
    assert_eq!(erika.load_file("wohnsitz").await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn an_altered_record_counts_as_absent_and_is_removed() {
    let store = fresh_store().await;
    store.save("parken", ANSWERS).await.unwrap();
    let key = store.record_key("parken");
    let value = raw(DRAFTS_STORE, &key).await.unwrap();
    let data = Reflect::get(&value, &"data".into())
        .unwrap()
        .dyn_into::<Uint8Array>()
        .unwrap();
    data.set_index(3, data.get_index(3) ^ 1);
    Reflect::set(&value, &"data".into(), &data).unwrap();
    put_raw(DRAFTS_STORE, &key, &value).await;
    assert_eq!(store.load("parken").await.unwrap(), None);
    assert!(raw(DRAFTS_STORE, &key).await.is_none());

    // A record of the wrong shape, and one with an altered time, likewise.
    put_raw(DRAFTS_STORE, &key, &JsValue::from_str("kaputt")).await;
    assert_eq!(store.load("parken").await.unwrap(), None);
    store.save("parken", ANSWERS).await.unwrap();
    let value = raw(DRAFTS_STORE, &key).await.unwrap();
    Reflect::set(&value, &"savedAt".into(), &JsValue::from_f64(1.0)).unwrap();
    put_raw(DRAFTS_STORE, &key, &value).await;
    assert_eq!(store.list().await.unwrap(), vec![]);
    assert_eq!(store.load("parken").await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn the_last_save_wins() {
    let sub = fresh_sub();
    let store = DraftStore::open(&sub).await.unwrap();
    let saves = (0..30).map(|i| {
        let store = store.clone();
        async move { store.save("hund", &format!("{{\"n\":{i}}}")).await }
    });
    let stamps: Vec<f64> = futures::future::join_all(saves)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "stamps increase");
    let draft = store.load("hund").await.unwrap().unwrap();
    assert_eq!(draft.json, r#"{"n":29}"#);
    assert_eq!(draft.saved_at, stamps[29]);

    // Two stores of the same account (two components) behave the same.
    let other = DraftStore::open(&sub).await.unwrap();
    let (a, b) = futures::join!(store.save("hund", "\"a\""), other.save("hund", "\"b\""));
    assert!(a.unwrap() < b.unwrap());
    assert_eq!(store.load("hund").await.unwrap().unwrap().json, "\"b\"");

    // A discard while a save is in flight is not undone by that save.
    let (saved, deleted) = futures::join!(store.save("hund", "\"spät\""), store.delete("hund"));
    saved.unwrap();
    deleted.unwrap();
    assert_eq!(store.load("hund").await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn delete_removes_only_that_draft() {
    let store = fresh_store().await;
    store.save("a", "1").await.unwrap();
    store.save("b", "2").await.unwrap();
    store.delete("a").await.unwrap();
    assert_eq!(store.load("a").await.unwrap(), None);
    assert!(raw(DRAFTS_STORE, &store.record_key("a")).await.is_none());
    let left = store.list().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].form_key, "b");
    // Deleting what is not there is fine.
    store.delete("a").await.unwrap();
}

#[wasm_bindgen_test]
async fn a_10_mib_file_round_trips() {
    let store = fresh_store().await;
    let bytes: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let id = random_uuid().unwrap();
    store
        .save_file(
            &id,
            "Zulassungsbescheinigung Erika.pdf",
            "application/pdf",
            &bytes,
        )
        .await
        .unwrap();
    let file = store.load_file(&id).await.unwrap().unwrap();
    assert_eq!(file.name, "Zulassungsbescheinigung Erika.pdf");
    assert_eq!(file.mime, "application/pdf");
    assert_eq!(file.bytes.len(), bytes.len());
    assert!(file.bytes == bytes);
    // Name and type are inside the ciphertext, not beside it.
    let value = raw(FILES_STORE, &store.record_key(&id)).await.unwrap();
    let (name, data) = record_bytes(&value);
    assert_eq!(name, id);
    assert!(!contains(&data[..4096], b"Zulassung"));
    assert!(!contains(&data[..4096], b"application/pdf"));
    // Other accounts do not get it; delete removes it.
    assert_eq!(fresh_store().await.load_file(&id).await.unwrap(), None);
    store.delete_file(&id).await.unwrap();
    assert_eq!(store.load_file(&id).await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn an_empty_file_round_trips() {
    let store = fresh_store().await;
    store
        .save_file("leer", "leer.txt", "text/plain", &[])
        .await
        .unwrap();
    let file = store.load_file("leer").await.unwrap().unwrap();
    assert_eq!((file.name.as_str(), file.bytes.len()), ("leer.txt", 0));
}

#[wasm_bindgen_test]
fn storage_errors_read_as_their_kind() {
    use buergeramt::browser::idb::IdbFailure;
    let f = |name: &str| IdbFailure {
        name: name.into(),
        message: "m".into(),
    };
    assert_eq!(
        StorageError::from(f("QuotaExceededError")),
        StorageError::Quota
    );
    assert_eq!(StorageError::from(f("blocked")), StorageError::Blocked);
    assert_eq!(
        StorageError::from(f("InvalidStateError")),
        StorageError::Unavailable("m".into())
    );
    assert_eq!(
        StorageError::from(f("DataError")),
        StorageError::Failed("m".into())
    );
}
