//! The stand-in's service search (`backends::pvog::search`): the query
//! text is analysed (tokenised, lower-cased, umlauts folded, stop words
//! dropped, at most 12 words) and turned into tantivy term, prefix and
//! fuzzy queries over an in-memory index of the seed catalogue.
//!
//! Input: the query text, optionally followed by a NUL byte and control
//! bytes for page, size and the filters (so the seed corpus is plain query
//! lines). The request stays within what the HTTP handler lets through
//! (≤ 200 characters, page ≤ 10 000, size 1–100, filters from the known
//! lists). Properties: no panic, no error; the analysed words are lower
//! case and non-empty; the page has `min(size, total - offset)` distinct,
//! existing services, each matching every filter; without words the
//! order is by popularity.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use backends::pvog::catalog::Catalog;
use backends::pvog::model::{build_from_seed, ARS_BUND, ARS_LAND, AUDIENCES, LEVELS};
use backends::pvog::search::{analyze, SearchIndex, SearchRequest};
use libfuzzer_sys::fuzz_target;

struct World {
    catalog: Catalog,
    index: SearchIndex,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let catalog = Catalog::new(build_from_seed().expect("the seed loads"));
        let index = SearchIndex::build(&catalog).expect("the index builds");
        World { catalog, index }
    })
}

fn byte(ctl: &[u8], i: usize) -> u8 {
    ctl.get(i).copied().unwrap_or(0)
}

fn pick<'a>(options: &[&'a str], b: u8) -> Option<&'a str> {
    // 0 = no filter; otherwise one of the options.
    (b != 0).then(|| options[usize::from(b - 1) % options.len()])
}

fuzz_target!(|data: &[u8]| {
    let (q, ctl) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(q) = std::str::from_utf8(q) else {
        return;
    };
    let q: String = q.chars().take(200).collect();
    let w = world();

    for word in analyze(&q) {
        assert!(!word.is_empty());
        assert!(!word.bytes().any(|b| b.is_ascii_uppercase()), "{word:?}");
    }

    // Mostly the first pages; sometimes far beyond the end (up to 10 000).
    let page = match byte(ctl, 1) {
        0 => usize::from(byte(ctl, 0) % 8),
        _ => usize::from(u16::from_le_bytes([byte(ctl, 0), byte(ctl, 1)]) % 10_001),
    };
    let size = if ctl.len() < 3 {
        20
    } else {
        usize::from(byte(ctl, 2)) % 100 + 1
    };
    let slugs: Vec<&str> = w
        .catalog
        .lebenslagen
        .iter()
        .map(|l| l.slug.as_str())
        .collect();
    let places: Vec<&str> = w.catalog.places.iter().map(|p| p.ars.as_str()).collect();
    let req = SearchRequest {
        q: q.clone(),
        page,
        size,
        online_at: pick(&places, byte(ctl, 3)).map(str::to_string),
        audience: pick(&AUDIENCES, byte(ctl, 4)).map(str::to_string),
        level: pick(&LEVELS, byte(ctl, 5)).map(str::to_string),
        lebenslage: pick(&slugs, byte(ctl, 6)).map(str::to_string),
    };
    let r = w.index.search(&req).expect("search does not fail");

    let offset = page * size;
    assert_eq!(
        r.ids.len(),
        size.min(r.total.saturating_sub(offset)),
        "{req:?}"
    );
    let unique: HashSet<&String> = r.ids.iter().collect();
    assert_eq!(unique.len(), r.ids.len(), "duplicate hits");
    let mut last_popularity = u32::MAX;
    let no_words = analyze(&q).is_empty();
    for id in &r.ids {
        let s = w
            .catalog
            .service(id)
            .unwrap_or_else(|| panic!("hit {id} is no service"));
        if let Some(a) = &req.audience {
            assert!(s.audience.contains(a), "{id} audience");
        }
        if let Some(l) = &req.level {
            assert_eq!(&s.level, l, "{id} level");
        }
        if let Some(l) = &req.lebenslage {
            assert!(s.lebenslagen.contains(l), "{id} lebenslage");
        }
        if let Some(ars) = &req.online_at {
            assert!(
                w.catalog
                    .online_services
                    .iter()
                    .any(|o| o.service_id == s.id
                        && (&o.ars == ars || o.ars == ARS_LAND || o.ars == ARS_BUND)),
                "{id} is not online at {ars}"
            );
        }
        if no_words {
            assert!(s.popularity <= last_popularity, "popularity order");
            last_popularity = s.popularity;
        }
    }
    if let Some(s) = &r.suggestion {
        assert!(!s.trim().is_empty());
    }
});
