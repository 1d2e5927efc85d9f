//! The place search behind `/v2/locations`: postcodes and names of the 396
//! municipalities and 53 Kreise / kreisfreie Städte, with their districts.
//!
//! Names are compared folded (umlauts and ß as two letters, accents
//! dropped), so "Müllheim", "Muelheim" and "mülheim" meet; "a.d." and "St."
//! are read as "an der" and "Sankt"; a query whose words all begin words of
//! a name matches it ("Berleburg" → Bad Berleburg, "Mülheim Ruhr" → Mülheim
//! an der Ruhr). A postcode that several municipalities share returns each
//! of them, so the citizen can choose.

use super::model::Place;
use super::search::fold;

/// One hit: the place and, when a district name matched, that district.
#[derive(Debug, Clone, Copy)]
pub struct PlaceHit<'a> {
    pub place: &'a Place,
    pub district: Option<&'a str>,
}

/// Lower-cased, folded and with separators as single spaces.
pub fn normalise(text: &str) -> String {
    let folded = fold(&text.to_lowercase());
    let spaced: String = folded
        .chars()
        .map(|c| match c {
            '/' | '(' | ')' | ',' | '.' => ' ',
            c => c,
        })
        .collect();
    let mut words: Vec<&str> = Vec::new();
    let raw: Vec<&str> = spaced.split_whitespace().collect();
    let mut i = 0;
    while i < raw.len() {
        match (raw[i], raw.get(i + 1).copied()) {
            // "a.d." became "a d"
            ("a", Some("d")) => {
                words.extend(["an", "der"]);
                i += 2;
                continue;
            }
            ("st", _) => words.push("sankt"),
            (w, _) => words.push(w),
        }
        i += 1;
    }
    words.join(" ")
}

const PREFIXES: [&str; 3] = ["kreis ", "staedteregion ", "rhein-kreis "];

/// How well `needle` (normalised) matches `name` (normalised); lower is better.
fn name_rank(name: &str, needle: &str) -> Option<u8> {
    let bare = PREFIXES
        .iter()
        .find_map(|pre| name.strip_prefix(pre))
        .unwrap_or(name);
    if name == needle {
        return Some(0);
    }
    if bare == needle {
        return Some(1);
    }
    if name.starts_with(needle) || bare.starts_with(needle) {
        return Some(2);
    }
    let words: Vec<&str> = name.split([' ', '-']).collect();
    if needle
        .split([' ', '-'])
        .filter(|w| !w.is_empty())
        .all(|n| words.iter().any(|w| w.starts_with(n)))
    {
        return Some(3);
    }
    name.contains(needle).then_some(5)
}

fn kind_rank(p: &Place) -> u8 {
    match p.kind.as_str() {
        "Kreisfreie Stadt" => 0,
        "Stadt" => 1,
        "Gemeinde" => 2,
        _ => 3,
    }
}

/// The places matching `q` (a postcode or a name), best first, at most `limit`.
pub fn find<'a>(places: &'a [Place], q: &str, limit: usize) -> Vec<PlaceHit<'a>> {
    let q = q.trim();
    let mut hits: Vec<(u8, u8, PlaceHit<'a>)> = Vec::new();
    if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) {
        for pl in places {
            let rank = if pl.zips.iter().any(|z| z == q) {
                0
            } else if pl.zips.iter().any(|z| z.starts_with(q)) {
                2
            } else {
                continue;
            };
            let hit = PlaceHit {
                place: pl,
                district: None,
            };
            hits.push((rank, kind_rank(pl), hit));
        }
    } else {
        let needle = normalise(q);
        if needle.is_empty() {
            return Vec::new();
        }
        for pl in places {
            let by_name = name_rank(&normalise(&pl.name), &needle);
            // A district counts after every match on a municipality's own name.
            let by_district = || {
                pl.districts.iter().find_map(|d| {
                    name_rank(&normalise(d), &needle)
                        .filter(|r| *r <= 3)
                        .map(|r| (r + 4, d.as_str()))
                })
            };
            let (rank, district) = match by_name {
                Some(r) => (r, None),
                None => match by_district() {
                    Some((r, d)) => (r, Some(d)),
                    None => continue,
                },
            };
            let hit = PlaceHit {
                place: pl,
                district,
            };
            hits.push((rank, kind_rank(pl), hit));
        }
    }
    hits.sort_by(|a, b| (a.0, a.1, &a.2.place.name).cmp(&(b.0, b.1, &b.2.place.name)));
    hits.into_iter().take(limit).map(|(_, _, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_umlauts_abbreviations_and_separators() {
        assert_eq!(normalise("Mülheim a.d. Ruhr"), "muelheim an der ruhr");
        assert_eq!(normalise("St. Augustin"), "sankt augustin");
        assert_eq!(normalise("Fröndenberg/Ruhr"), "froendenberg ruhr");
        assert_eq!(normalise("Gronau (Westf.)"), "gronau westf");
    }

    #[test]
    fn ranks_names() {
        assert_eq!(name_rank("bad berleburg", "bad berleburg"), Some(0));
        assert_eq!(name_rank("kreis kleve", "kleve"), Some(1));
        assert_eq!(name_rank("bad berleburg", "berleburg"), Some(3));
        assert_eq!(name_rank("muelheim an der ruhr", "muelheim ruhr"), Some(3));
        assert_eq!(name_rank("hilden", "kleve"), None);
    }
}
