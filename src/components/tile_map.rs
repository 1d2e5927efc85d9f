//! A tile map of NRW's 53 Kreise and kreisfreie Städte: one square per
//! region, placed by `tile.col/row`, shaded by its online share. Every tile
//! also shows the percentage as text, and the legend names the ranges, so
//! nothing depends on colour alone. The same data is in a table next to it.

use leptos::prelude::*;

use crate::domain::pvog::{share_class, Overview};
use crate::i18n::*;

const CELL: u16 = 64;
const GAP: u16 = 4;

/// Up to 4 letters that name a region on its tile (e.g. "Köln" → "KÖLN").
pub fn tile_label(name: &str) -> String {
    let cleaned = name
        .trim_start_matches("Kreis ")
        .trim_start_matches("Rhein-")
        .trim();
    cleaned.chars().take(4).collect::<String>().to_uppercase()
}

/// `highlight`: the ARS of the citizen's region, outlined on the map.
#[component]
pub fn TileMap(overview: Overview, #[prop(optional)] highlight: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (cols, rows) = overview.grid_size();
    let width = cols * (CELL + GAP);
    let height = rows * (CELL + GAP);
    let tiles = overview
        .regions
        .iter()
        .map(|r| {
            let x = r.tile.col * (CELL + GAP);
            let y = r.tile.row * (CELL + GAP);
            let class = format!("tile-map__tile tile-map__tile--c{}", share_class(r.online_share));
            let percent = format!("{} %", r.percent());
            // An outline in the gap around the citizen's own tile (a polygon:
            // the map's CSS styles every rect).
            let outline = (highlight.as_deref() == Some(r.ars.as_str())).then(|| {
                let (a, b) = (x.saturating_sub(2), y.saturating_sub(2));
                let (c, d) = (x + CELL + 2, y + CELL + 2);
                view! {
                    <polygon points=format!("{a},{b} {c},{b} {c},{d} {a},{d}") fill="none" stroke="#d4351c" stroke-width="3"></polygon>
                }
            });
            view! {
                <g class=class>
                    <rect x=x.to_string() y=y.to_string() width=CELL.to_string() height=CELL.to_string() rx="4"></rect>
                    <text class="tile-map__label" x=(x + CELL / 2).to_string() y=(y + 24).to_string() text-anchor="middle">
                        {tile_label(&r.name)}
                    </text>
                    <text class="tile-map__value" x=(x + CELL / 2).to_string() y=(y + 48).to_string() text-anchor="middle">
                        {percent.clone()}
                    </text>
                    {outline}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="tile-map">
            <svg
                class="tile-map__svg"
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-labelledby="karte-titel karte-beschreibung"
                focusable="false"
            >
                <title id="karte-titel">{move || t_string!(i18n, search.map_title)}</title>
                <desc id="karte-beschreibung">{move || t_string!(i18n, search.map_desc)}</desc>
                {tiles}
            </svg>
            <figcaption>
                <p class="kern-body kern-body--small">{t!(i18n, search.legend_heading)}</p>
                <ul class="tile-map__legend">
                    {(0u8..5).map(|c| {
                        let from = c * 20;
                        let to = if c == 4 { 100 } else { from + 19 };
                        view! {
                            <li>
                                <span class=format!("tile-map__swatch tile-map__tile--c{c}") aria-hidden="true"></span>
                                {t!(i18n, search.legend_range, from = from, to = to)}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::tile_label;

    #[test]
    fn labels_are_short() {
        assert_eq!(tile_label("Köln"), "KÖLN");
        assert_eq!(tile_label("Kreis Borken"), "BORK");
        assert_eq!(tile_label("Rhein-Sieg-Kreis"), "SIEG");
        assert_eq!(tile_label(""), "");
    }
}
