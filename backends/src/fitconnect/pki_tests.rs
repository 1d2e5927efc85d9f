//! Tests of the test PKI, and the generator of the app's x509 test vectors
//! (`tests/vectors/x509/`, used by `src/domain/x509.rs` and
//! `e2e/key-validation.spec.ts`):
//! `cargo test -p backends --lib pki::tests::write_vectors -- --ignored`.

use super::*;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509StoreContext;

fn decode(b64: &str) -> X509 {
    X509::from_der(&STANDARD.decode(b64).unwrap()).unwrap()
}

fn verifies(root: &X509, chain: &[String]) -> bool {
    let mut store = X509StoreBuilder::new().unwrap();
    store.add_cert(root.clone()).unwrap();
    let store = store.build();
    let mut untrusted = Stack::new().unwrap();
    for c in &chain[1..] {
        untrusted.push(decode(c)).unwrap();
    }
    let leaf = decode(&chain[0]);
    let mut ctx = X509StoreContext::new().unwrap();
    ctx.init(&store, &leaf, &untrusted, |c| c.verify_cert())
        .unwrap()
}

#[test]
fn one_pss_chain_per_destination_that_openssl_accepts_and_that_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let chains = load_or_create(dir.path(), &key, &["dest-a", "dest-b"]).unwrap();
    let (root, _) = test_root().unwrap();
    for id in ["dest-a", "dest-b"] {
        let x5c = chains.x5c(id).unwrap();
        assert_eq!(x5c.len(), 2, "leaf and intermediate, no root");
        assert!(verifies(&root, x5c), "{id}");
        let leaf = decode(&x5c[0]);
        assert_eq!(
            names(&leaf),
            vec![format!("urn:fitconnect:destination:{id}")]
        );
        assert!(leaf.public_key().unwrap().public_eq(&key));
        for c in x5c {
            let der = STANDARD.decode(c).unwrap();
            // Both signatureAlgorithm fields are RSASSA-PSS SHA-256 / salt 32.
            let found = der
                .windows(PSS_SHA256_ALGID.len())
                .filter(|w| *w == PSS_SHA256_ALGID)
                .count();
            assert_eq!(found, 2);
        }
    }
    assert_ne!(
        chains.x5c("dest-a").unwrap()[0],
        chains.x5c("dest-b").unwrap()[0]
    );
    assert!(chains.x5c("dest-c").is_none());
    // The root's own algorithm is the one we sign with.
    let root_der = root.to_der().unwrap();
    assert!(root_der.windows(67).any(|w| w == PSS_SHA256_ALGID));

    // A restart keeps the certificates; another key gets new leaves.
    let again = load_or_create(dir.path(), &key, &["dest-a", "dest-b"]).unwrap();
    assert_eq!(again.x5c("dest-a"), chains.x5c("dest-a"));
    let other = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let rekeyed = load_or_create(dir.path(), &other, &["dest-a"]).unwrap();
    let x5c = rekeyed.x5c("dest-a").unwrap();
    assert_ne!(x5c[0], chains.x5c("dest-a").unwrap()[0]);
    assert_eq!(
        x5c[1],
        chains.x5c("dest-a").unwrap()[1],
        "same intermediate"
    );
    assert!(decode(&x5c[0]).public_key().unwrap().public_eq(&other));
    assert!(verifies(&root, x5c));
}

#[test]
fn a_chain_from_another_root_is_not_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let chains = load_or_create(dir.path(), &key, &["d"]).unwrap();
    let other_root = {
        let k = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let (root, _) = test_root().unwrap();
        let issuer = Issuer {
            cert: &root,
            key: &k,
        };
        let now = Asn1Time::days_from_now(0).unwrap();
        let until = Asn1Time::days_from_now(10).unwrap();
        ca_cert(root.subject_name(), &k, &issuer, &now, &until).unwrap()
    };
    assert!(!verifies(&other_root, chains.x5c("d").unwrap()));
}

// ---- the test vectors ----------------------------------------------------

fn time(s: &str) -> Asn1Time {
    Asn1Time::from_str(s).unwrap()
}

fn jwk(key: &PKey<Private>, chain: &[&X509]) -> serde_json::Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let rsa = key.rsa().unwrap();
    serde_json::json!({
        "kty": "RSA",
        "key_ops": ["wrapKey"],
        "alg": "RSA-OAEP-256",
        "kid": "x509-test-vector",
        "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
        "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        "x5c": chain.iter().map(|c| STANDARD.encode(c.to_der().unwrap())).collect::<Vec<_>>(),
    })
}

/// Writes `tests/vectors/x509/*.json`: `{destinationId, now, jwk}`, each
/// JWK with its `x5c`; all chains certify one fixed RSA 4096 key. `now`
/// (2027-01-01) is inside every validity period except the expired leaf's.
#[test]
#[ignore = "writes the committed test vectors"]
fn write_vectors() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/x509");
    std::fs::create_dir_all(&out).unwrap();
    let all = super::super::destinations::all().unwrap();
    let hund = &all.iter().find(|d| d.leika == "99089005001000").unwrap().id;
    let wahl = &all.iter().find(|d| d.leika == "99096001001000").unwrap().id;
    let key = PKey::from_rsa(Rsa::generate(4096).unwrap()).unwrap();
    let (root, root_key) = test_root().unwrap();
    let ca_key = PKey::from_rsa(Rsa::generate(3072).unwrap()).unwrap();
    let (from, until) = (time("20260101000000Z"), time("20360101000000Z"));
    let (leaf_from, leaf_until) = (time("20260601000000Z"), time("20440601000000Z"));
    let inter = {
        let issuer = Issuer {
            cert: &root,
            key: &root_key,
        };
        ca_cert(
            &intermediate_name().unwrap(),
            &ca_key,
            &issuer,
            &from,
            &until,
        )
        .unwrap()
    };
    let by_inter = Issuer {
        cert: &inter,
        key: &ca_key,
    };
    let leaf = |id: &str, a: &Asn1Time, b: &Asn1Time| leaf_cert(id, &key, &by_inter, a, b).unwrap();

    // A root with the same name as the test root but another key.
    let foreign_key = PKey::from_rsa(Rsa::generate(4096).unwrap()).unwrap();
    let foreign_root = {
        let issuer = Issuer {
            cert: &root,
            key: &foreign_key,
        };
        ca_cert(root.subject_name(), &foreign_key, &issuer, &from, &until).unwrap()
    };
    let foreign_inter = {
        let issuer = Issuer {
            cert: &foreign_root,
            key: &foreign_key,
        };
        ca_cert(
            &intermediate_name().unwrap(),
            &ca_key,
            &issuer,
            &from,
            &until,
        )
        .unwrap()
    };
    let foreign_leaf = {
        let issuer = Issuer {
            cert: &foreign_inter,
            key: &ca_key,
        };
        leaf_cert(hund, &key, &issuer, &leaf_from, &leaf_until).unwrap()
    };
    // PKCS#1 v1.5 instead of PSS.
    let pkcs1_leaf = {
        let mut b = leaf_builder(hund, &key, &by_inter, &leaf_from, &leaf_until).unwrap();
        b.sign(&ca_key, MessageDigest::sha256()).unwrap();
        b.build()
    };

    let valid = leaf(hund, &leaf_from, &leaf_until);
    let expired = leaf(hund, &time("20240101000000Z"), &time("20250101000000Z"));
    let other = leaf(wahl, &leaf_from, &leaf_until);
    let vectors: [(&str, &str, Vec<&X509>); 5] = [
        (
            "valid",
            "the test root, intermediate, leaf naming the destination",
            vec![&valid, &inter],
        ),
        (
            "expired",
            "the leaf's notAfter is 2025-01-01",
            vec![&expired, &inter],
        ),
        (
            "other-destination",
            "the leaf names the Wahlschein destination",
            vec![&other, &inter],
        ),
        (
            "foreign-root",
            "a root with the test root's name but another key",
            vec![&foreign_leaf, &foreign_inter],
        ),
        (
            "pkcs1",
            "the leaf is signed with PKCS#1 v1.5, not PSS",
            vec![&pkcs1_leaf, &inter],
        ),
    ];
    for (name, about, chain) in vectors {
        let v = serde_json::json!({
            "about": about,
            "destinationId": hund,
            "now": 1_798_761_600, // 2027-01-01T00:00:00Z
            "jwk": jwk(&key, &chain),
        });
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string_pretty(&v).unwrap() + "\n",
        )
        .unwrap();
    }
}
