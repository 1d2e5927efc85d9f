//! The state of one application while it is filled in, shared by its
//! pages (start, steps, review, sent): the loaded form and destination, the
//! draft, what was prefilled, and saving the draft as the citizen types.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;

use crate::api::applications::submit::Route;
use crate::api::mandates::MandateError;
use crate::browser::drafts::{DraftStore, StorageError};
use crate::components::session::{use_auth, Auth};
use crate::domain::form::answers::Answers;
use crate::domain::form::draft::{draft_key_for, Draft, ForPerson};
use crate::domain::form::{prefill, Form, Prefilled};
use crate::domain::session::{acting_for, UserInfo};

/// What the start page loaded: the service, where it goes, and its form.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub service_id: String,
    pub service_name: String,
    pub leika: String,
    pub ars: String,
    pub place_name: Option<String>,
    pub route: Route,
    pub schema_uri: String,
    pub form: Arc<Form>,
    /// `?fuer=<mandate id>`: made for someone else under that mandate
    /// (issue #25); their data is prefilled and the decision goes to them.
    pub for_mandate: Option<String>,
}

impl Loaded {
    /// A page of this application (`""`: the start page).
    pub fn url(&self, tail: &str) -> String {
        super::apply_url(
            &self.service_id,
            tail,
            &self.ars,
            self.for_mandate.as_deref(),
        )
    }
}

/// For whom the application is made (issue #25).
#[derive(Debug, Clone, PartialEq)]
pub enum ForWhom {
    /// The citizen applies for themself.
    Myself,
    /// Under a mandate: that person's data is being loaded.
    Loading,
    /// Under a mandate: that person (name, and their data for the form).
    Person {
        name: String,
        person: Arc<contract::mandate::Person>,
    },
    /// The mandate does not allow it (ended, outside its scope, …).
    Refused(MandateError),
}

/// Saving state shown under the form.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Nothing typed yet in this visit.
    Idle,
    /// Saved at this time (ms since the epoch).
    Saved(f64),
    Failed(StorageError),
}

#[derive(Clone, Copy)]
pub struct Apply {
    pub loaded: StoredValue<Loaded, LocalStorage>,
    /// The draft; None until it has been restored for the logged-in account.
    pub draft: RwSignal<Option<Draft>>,
    pub prefilled: RwSignal<BTreeMap<String, Prefilled>>,
    pub save: RwSignal<SaveState>,
    /// What was sent, for the confirmation and its printed receipt: in
    /// memory only, gone with a reload (the relay cannot read it, and it is
    /// not kept in the browser's storage once sent).
    pub sent_answers: RwSignal<Option<Answers>>,
    /// The fee as verified when it was sent (the receipt reads it back from
    /// the relay after a reload).
    pub sent_payment: RwSignal<Option<contract::payment::PaymentState>>,
    /// For whom ([`Loaded::for_mandate`]).
    pub for_whom: RwSignal<ForWhom>,
    /// The account the draft in memory belongs to.
    owner: RwSignal<Option<String>>,
    store: StoredValue<Option<Rc<DraftStore>>, LocalStorage>,
    /// Bumped by each edit; a delayed save only runs if it is the newest.
    generation: StoredValue<u64>,
    auth: Auth,
}

pub fn use_apply() -> Option<Apply> {
    use_context::<Apply>()
}

impl Apply {
    /// Creates the state and restores the draft whenever the logged-in
    /// account changes (login, re-login after expiry, step-up).
    pub fn provide(loaded: Loaded) -> Apply {
        let auth = use_auth();
        let apply = Apply {
            loaded: StoredValue::new_local(loaded),
            draft: RwSignal::new(None),
            prefilled: RwSignal::new(BTreeMap::new()),
            save: RwSignal::new(SaveState::Idle),
            sent_answers: RwSignal::new(None),
            sent_payment: RwSignal::new(None),
            for_whom: RwSignal::new(ForWhom::Myself),
            owner: RwSignal::new(None),
            store: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            auth,
        };
        provide_context(apply);
        // Leaving the page: start a last save (IndexedDB finishes a
        // transaction that was started before the page goes away).
        let flush = leptos::prelude::window_event_listener(leptos::ev::pagehide, move |_| {
            leptos::task::spawn_local(async move { apply.save_now().await });
        });
        on_cleanup(move || flush.remove());
        Effect::new(move |_| {
            // Again when the login changes (another account, a higher
            // level), not when the session is merely extended.
            auth.login.track();
            let user = auth
                .session
                .with_untracked(|s| s.as_ref().map(|s| s.user.clone()));
            match user {
                None => {}
                Some(user) if apply.owner.get_untracked().as_deref() == Some(&user.sub) => {
                    // Same account, maybe a higher level now: prefill again
                    // so newly verified data is taken over and locked.
                    let as_user = apply.prefill_as(&user);
                    apply.draft.update(|d| {
                        if let (Some(d), Some(u)) = (d, as_user) {
                            let form = apply.loaded.with_value(|l| l.form.clone());
                            apply.prefilled.set(prefill(&form, &u, &mut d.answers));
                        }
                    });
                }
                Some(user) => {
                    apply.owner.set(Some(user.sub.clone()));
                    apply.draft.set(None);
                    leptos::task::spawn_local(async move {
                        apply.restore(user).await;
                    });
                }
            }
        });
        apply
    }

    /// The data the form is prefilled with: the citizen's own, or under a
    /// mandate the person's (None while it loads or when refused).
    fn prefill_as(&self, user: &UserInfo) -> Option<UserInfo> {
        match self.for_whom.get_untracked() {
            ForWhom::Myself => Some(user.clone()),
            ForWhom::Person { person, .. } => Some(acting_for(user, &person.attributes)),
            ForWhom::Loading | ForWhom::Refused(_) => None,
        }
    }

    /// Under a mandate: asks the relay for the person's data for this
    /// service (it checks the mandate and logs the use).
    async fn load_person(&self) {
        let Some((mandate, leika)) = self
            .loaded
            .with_value(|l| l.for_mandate.clone().map(|m| (m, l.leika.clone())))
        else {
            self.for_whom.set(ForWhom::Myself);
            return;
        };
        self.for_whom.set(ForWhom::Loading);
        let service = format!("urn:de:fim:leika:leistung:{leika}");
        let got = crate::api::Backends::relay()
            .mandate_person(&mandate, &service)
            .await;
        self.for_whom.set(match got {
            Ok(person) => {
                let name = acting_for(&UserInfo::default(), &person.attributes)
                    .display_name()
                    .unwrap_or_default();
                ForWhom::Person {
                    name,
                    person: Arc::new(person),
                }
            }
            Err(e) => ForWhom::Refused(e),
        });
    }

    /// The postbox the decision goes to when it is not the applicant's own:
    /// the person's under a Vollmacht; for a child or a cared-for person
    /// (no postbox here) `None`, the applicant's own.
    pub fn reply_mailbox(&self) -> Option<String> {
        match self.for_whom.get_untracked() {
            ForWhom::Person { person, .. } => {
                crate::domain::mandates::reply_mailbox(person.kind, &person.attributes)
            }
            _ => None,
        }
    }

    async fn restore(self, user: UserInfo) {
        self.load_person().await;
        let Some(as_user) = self.prefill_as(&user) else {
            // The mandate does not allow it: no draft, the start page says why.
            return;
        };
        let (form, key, ars) = self.loaded.with_value(|l| {
            (
                l.form.clone(),
                draft_key_for(&l.service_id, l.for_mandate.as_deref()),
                l.ars.clone(),
            )
        });
        let store = match DraftStore::open(&user.sub).await {
            Ok(s) => Some(Rc::new(s)),
            Err(e) => {
                self.save.set(SaveState::Failed(e));
                None
            }
        };
        let mut draft = None;
        if let Some(store) = &store {
            match store.load(&key).await {
                Ok(Some(saved)) => {
                    draft = Draft::from_json(&saved.json, &form.id);
                    if draft.is_some() {
                        self.save.set(SaveState::Saved(saved.saved_at));
                    }
                }
                Ok(None) => {}
                Err(e) => self.save.set(SaveState::Failed(e)),
            }
        }
        // The account may have changed while the store was opening.
        if self.owner.get_untracked().as_deref() != Some(&user.sub) {
            return;
        }
        self.store.set_value(store);
        let draft = draft.unwrap_or_else(|| self.new_draft(&form.id, &ars));
        self.show(draft, Some(&as_user));
    }

    /// An empty draft, marked with the person it is for under a mandate.
    fn new_draft(&self, form_id: &str, ars: &str) -> Draft {
        let mut d = Draft::new(form_id, ars);
        if let (ForWhom::Person { name, .. }, Some(m)) = (
            self.for_whom.get_untracked(),
            self.loaded.with_value(|l| l.for_mandate.clone()),
        ) {
            d.for_person = Some(ForPerson {
                mandate_id: m,
                name,
            });
        }
        d
    }

    /// Makes `draft` the one on screen: its titles for the list of drafts,
    /// and the account's data prefilled (and locked) where the form says.
    fn show(&self, mut draft: Draft, user: Option<&crate::domain::session::UserInfo>) {
        let form = self.form();
        draft.title = form.title.de.clone();
        draft.title_en = form.title.en.clone().unwrap_or_default();
        let pre = user
            .map(|u| prefill(&form, u, &mut draft.answers))
            .unwrap_or_default();
        self.prefilled.set(pre);
        self.draft.set(Some(draft));
    }

    pub fn form(&self) -> Arc<Form> {
        self.loaded.with_value(|l| l.form.clone())
    }

    pub fn is_ready(&self) -> bool {
        self.draft.with(Option::is_some)
    }

    /// Changes the draft because the citizen typed or chose something, and
    /// saves it shortly after (the last of quick edits wins).
    pub fn edit(&self, f: impl FnOnce(&mut Draft)) {
        self.draft.update(|d| {
            if let Some(d) = d {
                f(d);
                d.edited();
            }
        });
        // At once: a reload or a closed tab a moment later loses nothing.
        // The store lets the last of several quick saves win.
        self.schedule_save(Duration::ZERO);
    }

    /// Changes the draft without it counting as an edit of the answers
    /// (progress, send state) and saves at once.
    pub fn record(&self, f: impl FnOnce(&mut Draft)) {
        self.draft.update(|d| {
            if let Some(d) = d {
                f(d);
            }
        });
        self.schedule_save(Duration::ZERO);
    }

    fn schedule_save(&self, delay: Duration) {
        let gen = self.generation.get_value() + 1;
        self.generation.set_value(gen);
        let this = *self;
        let run = move || {
            if this.generation.get_value() == gen {
                leptos::task::spawn_local(async move { this.save_now().await });
            }
        };
        if delay.is_zero() {
            run();
        } else {
            set_timeout(run, delay);
        }
    }

    /// Writes the draft now.
    pub async fn save_now(&self) {
        let Some(store) = self.store.get_value() else {
            return;
        };
        let Some(json) = self
            .draft
            .with_untracked(|d| d.as_ref().map(Draft::to_json))
        else {
            return;
        };
        let key = self
            .loaded
            .with_value(|l| draft_key_for(&l.service_id, l.for_mandate.as_deref()));
        match store.save(&key, &json).await {
            Ok(at) => self.save.set(SaveState::Saved(at)),
            Err(e) => self.save.set(SaveState::Failed(e)),
        }
    }

    pub fn store(&self) -> Option<Rc<DraftStore>> {
        self.store.get_value()
    }

    /// "Entwurf verwerfen", and after a confirmed send: deletes the draft
    /// and its files, starts afresh with only the account's data.
    pub async fn discard(&self) {
        let files: Vec<String> = self.draft.with_untracked(|d| {
            d.as_ref()
                .map(|d| d.answers.files.values().map(|f| f.id.clone()).collect())
                .unwrap_or_default()
        });
        self.generation.set_value(self.generation.get_value() + 1);
        let (form_id, key, ars) = self.loaded.with_value(|l| {
            (
                l.form.id.clone(),
                draft_key_for(&l.service_id, l.for_mandate.as_deref()),
                l.ars.clone(),
            )
        });
        if let Some(store) = self.store.get_value() {
            for id in files {
                let _ = store.delete_file(&id).await;
            }
            if let Err(e) = store.delete(&key).await {
                self.save.set(SaveState::Failed(e));
                return;
            }
        }
        let user = self
            .auth
            .session
            .with_untracked(|s| s.as_ref().and_then(|s| self.prefill_as(&s.user)));
        self.show(self.new_draft(&form_id, &ars), user.as_ref());
        self.save.set(SaveState::Idle);
    }
}
