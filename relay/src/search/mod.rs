//! What the relay adds to PVOG's plain search and lists (docs/relay.md,
//! "Query understanding" and "Lebenslagen and the overview"):
//!
//! * a vocabulary of the catalogue (`vocab`), read from PVOG by a crawl
//!   (`crawl`) at start and every [`REFRESH_EVERY`], plus everyday words;
//! * query understanding (`text`, `understand`) and the merged search (`run`);
//! * the Lebenslagen and the online overview, derived from the same crawl
//!   and kept in memory, served stale (with `"stale": true`) while PVOG is down.
//!
//! All of it is derived public data: each relay instance keeps its own copy.

pub mod crawl;
pub mod run;
pub mod text;
pub mod understand;
pub mod vocab;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use crate::error::UpstreamError;
use crate::upstream::Upstream;
use crawl::LebenslageRow;
use vocab::Vocabulary;

/// How often the catalogue is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60 * 60);
/// After a failed crawl, the next try.
pub const RETRY_AFTER: Duration = Duration::from_secs(120);
/// Older than this, derived data is marked stale even if no crawl failed.
pub const MAX_AGE_SECS: i64 = 3 * 60 * 60;

/// The derived lists of one successful crawl.
#[derive(Debug)]
pub struct Derived {
    /// Unix seconds of the crawl.
    pub as_of: i64,
    pub lebenslagen: Vec<LebenslageRow>,
    /// `{"regions", "services"}` (without `stale`/`asOf`).
    pub overview: Value,
}

/// The relay's catalogue knowledge; one per relay instance.
pub struct Catalogue {
    vocab: RwLock<Arc<Vocabulary>>,
    derived: RwLock<Option<Arc<Derived>>>,
    /// Held during a crawl: one at a time, the others wait for it.
    crawling: Mutex<()>,
    last_failed: AtomicBool,
}

impl Catalogue {
    pub fn new() -> Arc<Self> {
        Arc::new(Catalogue {
            vocab: RwLock::new(Arc::new(Vocabulary::everyday())),
            derived: RwLock::new(None),
            crawling: Mutex::new(()),
            last_failed: AtomicBool::new(false),
        })
    }

    /// The current vocabulary (the everyday words until the first crawl).
    pub async fn vocabulary(&self) -> Arc<Vocabulary> {
        self.vocab.read().await.clone()
    }

    /// Reads the catalogue from PVOG now; keeps the previous data on failure.
    pub async fn refresh(&self, pvog: &Arc<Upstream>) -> Result<(), UpstreamError> {
        let _one = self.crawling.lock().await;
        self.crawl(pvog).await
    }

    async fn crawl(&self, pvog: &Arc<Upstream>) -> Result<(), UpstreamError> {
        let result = async {
            let facts = crawl::facts(pvog).await?;
            let overview = crawl::overview(pvog, &facts.services).await?;
            Ok::<_, UpstreamError>((facts, overview))
        }
        .await;
        match result {
            Ok((facts, overview)) => {
                let vocab = Vocabulary::build(&facts.services, &facts.english);
                tracing::info!(
                    services = facts.services.len(),
                    words = vocab.len(),
                    "catalogue read from PVOG"
                );
                *self.vocab.write().await = Arc::new(vocab);
                *self.derived.write().await = Some(Arc::new(Derived {
                    as_of: crate::session::now(),
                    lebenslagen: crawl::lebenslagen(&facts),
                    overview,
                }));
                self.last_failed.store(false, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the catalogue from PVOG failed; keeping what is known");
                self.last_failed.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// The derived lists and whether they may be out of date. Before the
    /// first crawl has succeeded, this waits for one (an error if it fails).
    pub async fn derived(
        &self,
        pvog: &Arc<Upstream>,
    ) -> Result<(Arc<Derived>, bool), UpstreamError> {
        if let Some(d) = self.derived.read().await.clone() {
            return Ok((d.clone(), self.is_stale(&d)));
        }
        let _one = self.crawling.lock().await;
        // Someone else may have crawled while we waited.
        if let Some(d) = self.derived.read().await.clone() {
            return Ok((d.clone(), self.is_stale(&d)));
        }
        self.crawl(pvog).await?;
        match self.derived.read().await.clone() {
            Some(d) => Ok((d.clone(), self.is_stale(&d))),
            None => Err(UpstreamError::Malformed("no catalogue".into())),
        }
    }

    fn is_stale(&self, d: &Derived) -> bool {
        self.last_failed.load(Ordering::Relaxed) || crate::session::now() - d.as_of > MAX_AGE_SECS
    }

    /// Reads the catalogue now and then every [`REFRESH_EVERY`] (after a
    /// failure: [`RETRY_AFTER`]), until the relay is gone.
    pub fn spawn_refresh(self: &Arc<Self>, pvog: &Arc<Upstream>) {
        let me: Weak<Self> = Arc::downgrade(self);
        let pvog: Weak<Upstream> = Arc::downgrade(pvog);
        tokio::spawn(async move {
            loop {
                let (Some(me), Some(pvog)) = (me.upgrade(), pvog.upgrade()) else {
                    return;
                };
                let wait = match me.refresh(&pvog).await {
                    Ok(()) => REFRESH_EVERY,
                    Err(_) => RETRY_AFTER,
                };
                drop((me, pvog));
                tokio::time::sleep(wait).await;
            }
        });
    }
}
