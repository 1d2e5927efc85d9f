//! Size and count limits that both the app and the servers enforce. The
//! servers refuse what exceeds them; the app keeps within them (or cuts
//! input down) so that nothing it sends is refused.

/// Largest encrypted attachment (one JWE, compact form) a FIT-Connect
/// submission may carry, in bytes: 16 MiB.
pub const MAX_ATTACHMENT_JWE_BYTES: usize = 16 * 1024 * 1024;

/// Largest encrypted metadata or data document (each one JWE, compact form)
/// of a FIT-Connect submission, in bytes: 2 MiB.
pub const MAX_DATA_JWE_BYTES: usize = 2 * 1024 * 1024;

/// Most attachments one FIT-Connect submission may announce.
pub const MAX_ATTACHMENTS: usize = 20;

/// Most attributes one FIT-Connect submission may name as disclosed to the
/// authority.
pub const MAX_DISCLOSED: usize = 30;

/// Longest text query, in characters (Unicode scalar values): the PVOG
/// search's `q` and the postbox filter's `q`. Longer queries are refused by
/// the servers; the app cuts them to this length.
pub const MAX_QUERY_CHARS: usize = 200;

/// How often one login session may be extended with a refresh token before
/// the citizen has to log in again.
pub const MAX_REFRESHES: u32 = 24;

// The wasm app has a 32-bit usize: every byte limit must fit.
const _: () = assert!(MAX_ATTACHMENT_JWE_BYTES <= u32::MAX as usize);
const _: () = assert!(MAX_DATA_JWE_BYTES <= MAX_ATTACHMENT_JWE_BYTES);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agreed_numbers() {
        assert_eq!(MAX_ATTACHMENT_JWE_BYTES, 16_777_216);
        assert_eq!(MAX_DATA_JWE_BYTES, 2_097_152);
        assert_eq!(MAX_ATTACHMENTS, 20);
        assert_eq!(MAX_DISCLOSED, 30);
        assert_eq!(MAX_QUERY_CHARS, 200);
        assert_eq!(MAX_REFRESHES, 24);
    }
}
