//! Offices that take appointments: the catalogue's organisation units of the
//! types in `backends/seed/termine.json` (sample data: counters and slot
//! lengths), with the opening hours the catalogue gives them.

use std::collections::HashMap;
use std::sync::OnceLock;

use contract::termine::{self as t, Office, OfficeService};
use serde::Deserialize;

use crate::pvog::catalog::Catalog;
use crate::pvog::model::{self, Authority, Service};

const SEED: &str = include_str!("../../seed/termine.json");

/// The booking unit: every slot length is a multiple of it.
pub const UNIT_SECS: i64 = 15 * 60;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Seed {
    unit_minutes: u32,
    types: HashMap<String, TypeSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeSeed {
    counters: u32,
    minutes: u32,
    group_minutes: u32,
    services: HashMap<String, Lengths>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lengths {
    minutes: u32,
    group_minutes: u32,
}

struct Data {
    seed: Seed,
    catalog: Catalog,
}

fn data() -> Option<&'static Data> {
    static DATA: OnceLock<Option<Data>> = OnceLock::new();
    DATA.get_or_init(|| {
        let seed: Seed = match serde_json::from_str(SEED) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("backends/seed/termine.json does not load: {e}");
                return None;
            }
        };
        let valid = |m: u32| m > 0 && m.is_multiple_of(seed.unit_minutes);
        let lengths_ok = seed.unit_minutes == 15
            && seed.types.values().all(|t| {
                t.counters > 0
                    && valid(t.minutes)
                    && valid(t.group_minutes)
                    && t.services
                        .values()
                        .all(|l| valid(l.minutes) && valid(l.group_minutes))
            });
        if !lengths_ok {
            tracing::error!("backends/seed/termine.json: counters or minutes out of shape");
            return None;
        }
        match model::build_from_seed() {
            Ok(d) => Some(Data {
                seed,
                catalog: Catalog::new(d),
            }),
            Err(e) => {
                tracing::error!("the PVOG seed does not load, no offices take appointments: {e}");
                None
            }
        }
    })
    .as_ref()
}

/// Loads the seed and the catalogue now (at start-up), so that a broken
/// seed is an error there and not a 500 later.
pub fn check() -> anyhow::Result<()> {
    data()
        .map(|_| ())
        .ok_or_else(|| anyhow::anyhow!("backends/seed/termine.json or the PVOG seed is broken"))
}

/// An office with what the booking rules need.
pub struct OfficeRules {
    pub authority: &'static Authority,
    pub counters: u32,
    /// (weekday 1–7, opens, closes) in minutes after midnight.
    pub hours: Vec<(u8, i64, i64)>,
    services: Vec<(&'static Service, u32, u32)>,
}

fn minutes(hhmm: &str) -> Option<i64> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// The office `id`, if it takes appointments.
pub fn office(id: &str) -> Option<OfficeRules> {
    let d = data()?;
    let authority = d.catalog.authority(id)?;
    let ty = d.seed.types.get(&authority.authority_type)?;
    let hours = authority
        .hours
        .iter()
        .filter_map(|i| Some((i.day, minutes(&i.opens)?, minutes(&i.closes)?)))
        .filter(|(day, o, c)| (1..=7).contains(day) && o < c)
        .collect();
    let services = d
        .catalog
        .services
        .iter()
        .filter(|s| s.authority_type == authority.authority_type && !s.leika_id.is_empty())
        .map(|s| match ty.services.get(&s.leika_id) {
            Some(l) => (s, l.minutes, l.group_minutes),
            None => (s, ty.minutes, ty.group_minutes),
        })
        .collect();
    Some(OfficeRules {
        authority,
        counters: ty.counters,
        hours,
        services,
    })
}

impl OfficeRules {
    pub fn id(&self) -> &str {
        &self.authority.id
    }

    /// The service by LeiKa key, if this office takes it.
    pub fn service(&self, leika: &str) -> Option<&'static Service> {
        self.services
            .iter()
            .find(|(s, _, _)| s.leika_id == leika)
            .map(|(s, _, _)| *s)
    }

    /// The length of an appointment for `persons` people.
    pub fn length_secs(&self, leika: &str, persons: u32) -> Option<i64> {
        self.services
            .iter()
            .find(|(s, _, _)| s.leika_id == leika)
            .map(|(_, one, group)| i64::from(if persons > 1 { *group } else { *one }) * 60)
    }

    pub fn address(&self) -> String {
        let a = self.authority;
        format!("{}, {} {}", a.street, a.zip, a.city)
    }

    pub fn public(&self) -> Office {
        let a = self.authority;
        Office {
            id: a.id.clone(),
            name: a.title.clone(),
            street: a.street.clone(),
            zip: a.zip.clone(),
            city: a.city.clone(),
            counters: self.counters,
            services: self
                .services
                .iter()
                .map(|(s, m, g)| OfficeService {
                    leika: s.leika_id.clone(),
                    name: s.name.clone(),
                    minutes: *m,
                    group_minutes: *g,
                })
                .collect(),
            sample_data: true,
        }
    }

    /// Every slot start of length `len` between the days `from` and `to`
    /// (inclusive, Berlin calendar), on the unit grid from opening time,
    /// ending by closing time; no Sundays' or holidays' hours unless the
    /// catalogue lists them (holidays never). Instants are UTC seconds;
    /// a wall time that does not exist (spring gap) is skipped.
    pub fn starts(&self, from: i64, to: i64, len: i64) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for day in from..=to {
            if is_holiday(day) {
                continue;
            }
            let wd = t::weekday(day);
            let mut intervals: Vec<(i64, i64)> = self
                .hours
                .iter()
                .filter(|(d, _, _)| *d == wd)
                .map(|(_, o, c)| (*o, *c))
                .collect();
            intervals.sort_unstable();
            for (open, close) in intervals {
                let mut m = open;
                while m * 60 + len <= close * 60 {
                    if let Some(s) = t::local_to_unix(day, m) {
                        out.push((s, s + len));
                    }
                    m += UNIT_SECS / 60;
                }
            }
        }
        out
    }

    /// Is `start` a slot start of length `len` at this office?
    pub fn is_start(&self, start: i64, len: i64) -> bool {
        let (day, _) = t::unix_to_local(start);
        self.starts(day, day, len).iter().any(|(s, _)| *s == start)
    }
}

fn is_holiday(day: i64) -> bool {
    let (y, m, d) = contract::calendar::civil_from_days(day);
    i32::try_from(y)
        .ok()
        .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, m, d))
        .is_some_and(crate::zbp::deadline::is_nrw_holiday)
}

/// Offices of the catalogue that take appointments (ids), for the console.
pub fn all_ids() -> Vec<&'static str> {
    let Some(d) = data() else { return Vec::new() };
    d.catalog
        .authorities
        .iter()
        .filter(|a| d.seed.types.contains_key(&a.authority_type))
        .map(|a| a.id.as_str())
        .collect()
}
