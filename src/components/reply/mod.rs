//! Answering the authority (Nachreichung): the answer's state while it is
//! written ([`Reply`]), the form ([`form::ReplyForm`]) and the send
//! ([`send::send`]).
//!
//! The answer is a draft in the same encrypted store as applications
//! (`browser::drafts`, key `antwort:<submissionId>`), files included, until
//! the authority's Zustelldienst confirms it; then it is deleted.

pub mod form;
pub mod send;
mod slot;

use std::rc::Rc;

use contract::followup::Request;
use leptos::prelude::*;

use crate::browser::drafts::DraftStore;
use crate::components::apply::context::SaveState;
use crate::domain::followup::{reply_key, ReplyDraft, Slot};

/// The application being answered and what the authority asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub submission_id: String,
    pub case_id: String,
    pub destination_id: String,
    pub service_name: String,
    pub service_identifier: String,
    pub authority: Option<String>,
    pub reference: Option<String>,
    /// The postbox message id of the request.
    pub request_id: String,
    pub request: Request,
}

#[derive(Clone, Copy)]
pub struct Reply {
    pub target: StoredValue<Target>,
    /// None until restored from the store.
    pub draft: RwSignal<Option<ReplyDraft>>,
    pub save: RwSignal<SaveState>,
    store: StoredValue<Option<Rc<DraftStore>>, LocalStorage>,
    generation: StoredValue<u64>,
}

impl Reply {
    /// The state for `target`; the draft is restored for account `sub`.
    pub fn new(target: Target, sub: String) -> Reply {
        let reply = Reply {
            target: StoredValue::new(target),
            draft: RwSignal::new(None),
            save: RwSignal::new(SaveState::Idle),
            store: StoredValue::new_local(None),
            generation: StoredValue::new(0),
        };
        leptos::task::spawn_local(async move { reply.restore(&sub).await });
        // Leaving the page: a last save (IndexedDB finishes it).
        let flush = window_event_listener(leptos::ev::pagehide, move |_| {
            leptos::task::spawn_local(async move { reply.save_now().await });
        });
        on_cleanup(move || flush.remove());
        reply
    }

    fn key(&self) -> String {
        self.target.with_value(|t| reply_key(&t.submission_id))
    }

    async fn restore(self, sub: &str) {
        let request_id = self.target.with_value(|t| t.request_id.clone());
        let store = match DraftStore::open(sub).await {
            Ok(s) => Some(Rc::new(s)),
            Err(e) => {
                self.save.set(SaveState::Failed(e));
                None
            }
        };
        let mut draft = None;
        if let Some(store) = &store {
            match store.load(&self.key()).await {
                Ok(Some(saved)) => {
                    draft = ReplyDraft::from_json(&saved.json);
                    if draft.is_some() {
                        self.save.set(SaveState::Saved(saved.saved_at));
                    }
                }
                Ok(None) => {}
                Err(e) => self.save.set(SaveState::Failed(e)),
            }
        }
        self.store.set_value(store);
        let draft = match draft {
            Some(d) if d.request == request_id => d,
            // Written for an earlier request: the words and files stay, as
            // additions to the new answer.
            Some(mut d) => {
                d.request = request_id;
                d.sending = None;
                let mut n = 0;
                for f in d.files.iter_mut() {
                    f.slot = Slot::Extra(n);
                    n += 1;
                }
                d.extra_slots = n;
                d
            }
            None => ReplyDraft::new(&request_id),
        };
        self.draft.set(Some(draft));
    }

    /// Changes the draft and saves it at once (the store lets the last of
    /// quick saves win).
    pub fn edit(&self, f: impl FnOnce(&mut ReplyDraft)) {
        self.draft.update(|d| {
            if let Some(d) = d {
                f(d);
            }
        });
        let gen = self.generation.get_value() + 1;
        self.generation.set_value(gen);
        let this = *self;
        leptos::task::spawn_local(async move {
            if this.generation.get_value() == gen {
                this.save_now().await;
            }
        });
    }

    pub async fn save_now(&self) {
        let Some(store) = self.store.get_value() else {
            return;
        };
        let Some(json) = self
            .draft
            .with_untracked(|d| d.as_ref().map(ReplyDraft::to_json))
        else {
            return;
        };
        match store.save(&self.key(), &json).await {
            Ok(at) => self.save.set(SaveState::Saved(at)),
            Err(e) => self.save.set(SaveState::Failed(e)),
        }
    }

    pub fn store(&self) -> Option<Rc<DraftStore>> {
        self.store.get_value()
    }

    /// After a confirmed send: the draft and its files go.
    pub async fn discard(&self) {
        self.generation.set_value(self.generation.get_value() + 1);
        let files: Vec<String> = self.draft.with_untracked(|d| {
            d.as_ref()
                .map(|d| d.files.iter().map(|f| f.id.clone()).collect())
                .unwrap_or_default()
        });
        if let Some(store) = self.store.get_value() {
            for id in files {
                let _ = store.delete_file(&id).await;
            }
            let _ = store.delete(&self.key()).await;
        }
    }
}
