//! The search state in the URL (`/suche?q=…&ort=…&online=1&zielgruppe=…&ebene=…&seite=N`)
//! and the matching PVOG query string. The URL is the single source of truth,
//! so every search can be bookmarked and shared.

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out
}

/// Builds `k1=v1&k2=v2` with encoded values.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Is this a 12-digit Amtlicher Regionalschlüssel?
pub fn is_ars(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Who a service is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Citizen,
    Business,
}

impl Audience {
    pub fn url_value(self) -> &'static str {
        match self {
            Audience::Citizen => "buerger",
            Audience::Business => "unternehmen",
        }
    }
    pub fn api_value(self) -> &'static str {
        match self {
            Audience::Citizen => "citizen",
            Audience::Business => "business",
        }
    }
    pub fn from_url(s: &str) -> Option<Self> {
        match s {
            "buerger" => Some(Audience::Citizen),
            "unternehmen" => Some(Audience::Business),
            _ => None,
        }
    }
}

/// Which level of administration provides a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Kommune,
    Land,
    Bund,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Kommune, Level::Land, Level::Bund];
    /// Same word in the app's URL and in the PVOG query.
    pub fn value(self) -> &'static str {
        match self {
            Level::Kommune => "kommune",
            Level::Land => "land",
            Level::Bund => "bund",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Level::ALL.into_iter().find(|l| l.value() == s)
    }
}

/// Results per page.
pub const PAGE_SIZE: u32 = 20;
/// Longest query we send (the PVOG search refuses longer ones).
pub use contract::limits::MAX_QUERY_CHARS;

/// Everything that defines a search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchParams {
    pub q: String,
    /// ARS of the chosen place.
    pub ort: Option<String>,
    pub online: bool,
    pub audience: Option<Audience>,
    pub level: Option<Level>,
    /// 1-based page number as shown to people.
    pub page: u32,
}

impl SearchParams {
    /// Reads the state from URL query parameters. Unknown or malformed values
    /// are ignored (a shared link with a typo still shows a search).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let q: String = get("q")
            .unwrap_or_default()
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect();
        let ort = get("ort")
            .map(|s| s.trim().to_string())
            .filter(|s| is_ars(s));
        let online = matches!(get("online").as_deref(), Some("1" | "true" | "ja"));
        let audience = get("zielgruppe").as_deref().and_then(Audience::from_url);
        let level = get("ebene").as_deref().and_then(Level::parse);
        let page = get("seite")
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|p| (1..=10_000).contains(p))
            .unwrap_or(1);
        SearchParams {
            q,
            ort,
            online,
            audience,
            level,
            page,
        }
    }

    /// The app URL (`/suche?…`), leaving out defaults to keep links short.
    pub fn to_url(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(ort) = &self.ort {
            pairs.push(("ort", ort.clone()));
        }
        if self.online {
            pairs.push(("online", "1".into()));
        }
        if let Some(a) = self.audience {
            pairs.push(("zielgruppe", a.url_value().into()));
        }
        if let Some(l) = self.level {
            pairs.push(("ebene", l.value().into()));
        }
        if self.page > 1 {
            pairs.push(("seite", self.page.to_string()));
        }
        if pairs.is_empty() {
            "/suche".into()
        } else {
            format!("/suche?{}", query_string(pairs))
        }
    }

    /// The same search on another page.
    pub fn with_page(&self, page: u32) -> Self {
        SearchParams {
            page: page.max(1),
            ..self.clone()
        }
    }

    /// A new query text: back to page 1.
    pub fn with_query(&self, q: &str) -> Self {
        SearchParams {
            q: q.chars().take(MAX_QUERY_CHARS).collect(),
            page: 1,
            ..self.clone()
        }
    }

    /// The PVOG query string for `GET /v7/servicedescriptions/{ars}?…`.
    pub fn api_query(&self, lang: &str) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("q", self.q.trim().to_string()),
            ("page", self.page.saturating_sub(1).to_string()),
            ("size", PAGE_SIZE.to_string()),
        ];
        if self.online {
            pairs.push(("online", "true".into()));
        }
        if let Some(a) = self.audience {
            pairs.push(("audience", a.api_value().into()));
        }
        if let Some(l) = self.level {
            pairs.push(("level", l.value().into()));
        }
        pairs.push(("lang", lang.to_string()));
        query_string(pairs)
    }
}

/// The ARS used when no place is chosen: Nordrhein-Westfalen as a whole
/// (state key 05, rest zeros), so results show services without local data.
pub const NRW_ARS: &str = "050000000000";

/// `/leistungen/<id>?ort=<ars>`.
pub fn service_url(id: &str, ort: Option<&str>) -> String {
    match ort.filter(|o| is_ars(o)) {
        Some(o) => format!("/leistungen/{}?ort={}", encode(id), encode(o)),
        None => format!("/leistungen/{}", encode(id)),
    }
}

/// `/lebenslagen/<slug>`.
pub fn life_situation_url(slug: &str) -> String {
    format!("/lebenslagen/{}", encode(slug))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SearchParams::from_query(|k| m.get(k).cloned())
    }

    #[test]
    fn encodes_reserved_and_unicode() {
        assert_eq!(encode("abc-_.~09"), "abc-_.~09");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(encode("Köln"), "K%C3%B6ln");
        assert_eq!(encode("#?/+%"), "%23%3F%2F%2B%25");
        assert_eq!(encode(""), "");
    }

    #[test]
    fn parses_a_full_url_state() {
        let p = params(&[
            ("q", "perso"),
            ("ort", "053150000000"),
            ("online", "1"),
            ("zielgruppe", "unternehmen"),
            ("ebene", "land"),
            ("seite", "3"),
        ]);
        assert_eq!(p.q, "perso");
        assert_eq!(p.ort.as_deref(), Some("053150000000"));
        assert!(p.online);
        assert_eq!(p.audience, Some(Audience::Business));
        assert_eq!(p.level, Some(Level::Land));
        assert_eq!(p.page, 3);
    }

    #[test]
    fn ignores_malformed_values() {
        let p = params(&[
            ("ort", "Köln"),
            ("online", "vielleicht"),
            ("zielgruppe", "alle"),
            ("ebene", "EU"),
            ("seite", "-2"),
        ]);
        assert_eq!(
            p,
            SearchParams {
                page: 1,
                ..Default::default()
            }
        );
        assert_eq!(params(&[("seite", "0")]).page, 1);
        assert_eq!(params(&[("seite", "abc")]).page, 1);
        assert_eq!(params(&[("ort", "05315000")]).ort, None);
        let long = "x".repeat(500);
        assert_eq!(params(&[("q", long.as_str())]).q.len(), MAX_QUERY_CHARS);
    }

    #[test]
    fn url_round_trip() {
        let p = SearchParams {
            q: "Hund & Katze".into(),
            ort: Some("053150000000".into()),
            online: true,
            audience: Some(Audience::Citizen),
            level: Some(Level::Kommune),
            page: 2,
        };
        let url = p.to_url();
        assert_eq!(
            url,
            "/suche?q=Hund%20%26%20Katze&ort=053150000000&online=1&zielgruppe=buerger&ebene=kommune&seite=2"
        );
        let query = url.split_once('?').unwrap().1;
        let m: HashMap<String, String> = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.replace("%20", " ").replace("%26", "&"))
            })
            .collect();
        assert_eq!(SearchParams::from_query(|k| m.get(k).cloned()), p);
    }

    #[test]
    fn defaults_give_a_short_url() {
        assert_eq!(SearchParams::default().to_url(), "/suche");
        assert_eq!(
            SearchParams::default().with_query("perso").to_url(),
            "/suche?q=perso"
        );
        assert_eq!(
            SearchParams {
                page: 4,
                ..Default::default()
            }
            .with_query("a")
            .page,
            1
        );
        assert_eq!(SearchParams::default().with_page(0).page, 1);
    }

    #[test]
    fn api_query_maps_names_and_pages() {
        let p = SearchParams {
            q: " perso ".into(),
            ort: Some("053150000000".into()),
            online: true,
            audience: Some(Audience::Business),
            level: Some(Level::Bund),
            page: 2,
        };
        assert_eq!(
            p.api_query("de"),
            "q=perso&page=1&size=20&online=true&audience=business&level=bund&lang=de"
        );
        assert_eq!(
            SearchParams::default().api_query("en"),
            "q=&page=0&size=20&lang=en"
        );
    }

    #[test]
    fn service_and_life_situation_urls() {
        assert_eq!(
            service_url("99085001012000", Some("053150000000")),
            "/leistungen/99085001012000?ort=053150000000"
        );
        assert_eq!(service_url("a/b", None), "/leistungen/a%2Fb");
        assert_eq!(service_url("1", Some("bad")), "/leistungen/1");
        assert_eq!(life_situation_url("umzug"), "/lebenslagen/umzug");
        assert!(is_ars(NRW_ARS));
    }
}
