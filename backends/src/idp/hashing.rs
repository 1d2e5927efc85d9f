//! Argon2id for passwords and PINs, bounded (issue #19).
//!
//! One argon2 computation with the crate's defaults (`m` = 19 MiB, `t` = 2,
//! `p` = 1) needs 19 MiB of working memory and tens of milliseconds of CPU.
//! When 200 citizens register at once, running all of them at the same time
//! made the stand-in peak at about 1 GB: every hash allocated its own 19 MiB
//! on whichever blocking thread ran it, and glibc kept the freed memory in
//! per-thread arenas.
//!
//! The request paths therefore hash and verify through one [`Argon2Pool`]
//! per process: at most `BUERGERAMT_ARGON2_CONCURRENCY` computations run at
//! once (default: the number of cores, more cannot run in parallel anyway);
//! the others wait for a permit (queue, never fail). Each computation runs
//! on tokio's blocking threads (never on an async worker) and works in one
//! of at most that many reused 19 MiB buffers, so argon2's memory is
//! `concurrency × 19 MiB`, allocated once. The hashes are the crate's own
//! (same PHC strings, same parameters); only where the working memory comes
//! from differs.

use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// The setting that bounds concurrent argon2 computations.
pub const CONCURRENCY_ENV: &str = "BUERGERAMT_ARGON2_CONCURRENCY";

/// The default bound: the machine's cores (at least 1).
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
}

/// Bounded argon2 work with reused working memory (see the module docs).
pub struct Argon2Pool {
    permits: Arc<tokio::sync::Semaphore>,
    buffers: Mutex<Vec<Vec<Block>>>,
    made: std::sync::atomic::AtomicUsize,
    size: usize,
}

impl Argon2Pool {
    /// A pool running at most `size` computations at once (0 counts as 1).
    pub fn new(size: usize) -> Arc<Self> {
        let size = size.max(1);
        Arc::new(Self {
            permits: Arc::new(tokio::sync::Semaphore::new(size)),
            buffers: Mutex::new(Vec::new()),
            made: std::sync::atomic::AtomicUsize::new(0),
            size,
        })
    }

    /// How many computations may run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many working buffers were ever allocated (at most [`Self::size`]).
    pub fn buffers_made(&self) -> usize {
        self.made.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` with a working buffer on a blocking thread once a permit is
    /// free. The permit and the buffer stay with the computation even if
    /// the caller stops waiting, so the bound holds.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| anyhow::anyhow!("argon2 pool closed: {e}"))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut buffer = pool.take();
            let out = f(&mut buffer);
            pool.give_back(buffer);
            drop(permit);
            out
        })
        .await
        .map_err(|e| anyhow::anyhow!("argon2 task: {e}"))
    }

    fn take(&self) -> Vec<Block> {
        // A poisoned lock only means a panic while pushing or popping; the list is fine.
        let reused = self.buffers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        reused.unwrap_or_else(|| {
            self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            vec![Block::new(); Params::DEFAULT.block_count()]
        })
    }

    fn give_back(&self, buffer: Vec<Block>) {
        let mut list = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() < self.size {
            list.push(buffer);
        }
    }

    /// Argon2id hash (PHC string) of a password or PIN, with the crate's
    /// default parameters and a fresh random salt.
    pub async fn hash(self: &Arc<Self>, password: String) -> anyhow::Result<String> {
        self.run(move |memory| hash_with(&password, memory)).await?
    }

    /// Checks a password or PIN against its PHC string (false for any
    /// malformed hash).
    pub async fn verify(self: &Arc<Self>, password: String, phc: String) -> bool {
        self.run(move |memory| verify_with(&password, &phc, memory))
            .await
            .unwrap_or(false)
    }
}

/// The process's pool; sized by [`configure`] (the IdP's router does that
/// from the configuration), else by [`default_concurrency`].
pub fn pool() -> &'static Arc<Argon2Pool> {
    POOL.get_or_init(|| Argon2Pool::new(default_concurrency()))
}

static POOL: OnceLock<Arc<Argon2Pool>> = OnceLock::new();

/// Sizes the process's pool; the first call wins (several routers in one
/// test process share it).
pub fn configure(size: usize) {
    let _ = POOL.set(Argon2Pool::new(size));
}

/// Grows `memory` if a hash's parameters need more blocks than the default.
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let need = params.block_count();
    if memory.len() < need {
        memory.resize(need, Block::new());
    }
    &mut memory[..need]
}

/// What `argon2::Argon2::default().hash_password` produces, in `memory`.
pub(crate) fn hash_with(password: &str, memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let argon = Argon2::default();
    let params = argon.params().clone();
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                blocks(memory, &params),
            )
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// What `PasswordVerifier::verify_password` of the crate decides, in `memory`.
pub(crate) fn verify_with(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = Output::init_with(expected.len(), |out| {
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                out,
                blocks(memory, &params),
            )
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    // `Output`'s equality is constant-time.
    matches!(computed, Ok(c) if c == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn same_hashes_as_the_crate() {
        let mut memory = Vec::new();
        let ours = hash_with("geheim-123", &mut memory).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"geheim-123", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"geheim-124", &parsed)
            .is_err());

        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"geheim-123", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with("geheim-123", &theirs, &mut memory));
        assert!(!verify_with("geheim-124", &theirs, &mut memory));
        assert!(!verify_with("geheim-123", "not a hash", &mut memory));
        // Other parameters (more memory than the buffer has) still verify.
        let bigger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(32 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pin", &salt)
        .unwrap()
        .to_string();
        assert!(verify_with("pin", &bigger, &mut memory));
        assert!(!verify_with("pun", &bigger, &mut memory));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_at_once_queue_and_share_the_buffers() {
        let pool = Argon2Pool::new(2);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..12 {
            let pool = pool.clone();
            tasks.spawn(async move {
                let pw = format!("pw-{i}");
                let h = pool.hash(pw.clone()).await.unwrap();
                (
                    pool.verify(pw, h.clone()).await,
                    pool.verify("x".into(), h).await,
                )
            });
        }
        let mut n = 0;
        while let Some(r) = tasks.join_next().await {
            assert_eq!(r.unwrap(), (true, false));
            n += 1;
        }
        assert_eq!(n, 12);
        assert!(pool.buffers_made() <= 2, "{}", pool.buffers_made());
        assert_eq!(pool.size(), 2);
    }
}
