// Package topicmap draws papermap's maps and writes its reports.
//
// It takes plain data and knows nothing of stores, embedders or clustering:
// the caller (the papermap CLI) builds a Map or a Report from them.
//
// # Maps
//
// A Map is a list of Points (one per paper: ID, title, a snippet of the
// abstract, 2-D coordinates from a layout such as topicmap/layout's UMAP, a
// theme index and a year), a list of Themes (ID, label, keywords, size,
// where to write the label, and a Level and Parent when the themes form a
// hierarchy: level 0 the broadest) and optional categorical Fields (venue,
// archive) to colour by. Optional Neighbors hold one short int8
// vector per paper, from which the interactive map finds a clicked paper's
// nearest neighbours itself; QuantizeNeighbors makes them from float
// vectors.
//
//	m := &topicmap.Map{Title: "My corpus", Points: points, Themes: themes}
//	err := topicmap.WriteFile("map.html", m) // or map.svg, map.png, map.json
//
// WriteSVG and WritePNG draw a static map with gonum/plot: dots coloured by
// theme (20 colours for the broad themes, then the same colours as squares,
// triangles and diamonds, so 80 broad themes stay distinct; a sub-theme in
// a shade of its broad theme's colour; grey for papers in no theme), each
// theme's full label (wrapped) on a white box at the theme's position, or
// beside it with a leader line when that place is taken (no box over another,
// no leader line across another label), and a legend with
// the full labels, grouped by broad theme. Dots shrink and fade as the
// number of papers grows so that 100k papers still show their density. The
// frame holds the bulk of the papers: a small island far from the rest (a
// front-matter theme) and strays lie beyond it, labelled at the edge and
// counted under the plot; the interactive map opens on the same frame.
//
// WriteHTML writes one self-contained page: the papers are drawn on a
// canvas (not one DOM node each), with pan (drag), zoom (wheel, buttons),
// a tooltip on hover, a title search that highlights and counts matches, a
// legend that hides and shows themes (or years, or a field's values when
// the reader colours by year or by a field), and a side panel with the
// clicked paper's snippet and its nearest neighbours. Theme labels are DOM
// elements over the canvas, placed each frame without overlaps (broad
// themes first, deeper levels once zoomed in, leader lines for moved
// labels); on maps of up to 20,000 papers a label also keeps off the dots,
// taking the nearest place within three label heights that covers none (or
// the fewest), found from a grid of dot counts built once per view. The
// legend lists each broad theme above its sub-themes.
// Coordinates, themes and years travel as base64 uint16 arrays
// (coordinates quantised to 1/65535 of the map's extent) in the data the
// page reads before its first draw; the papers' IDs, titles, snippets and
// URLs as gzipped JSON in a second element after the page's code, which it
// inflates with DecompressionStream once drawn. It stays smooth with 100k
// papers: dots are blended into an offscreen bitmap (one pass over a typed
// array, no DOM node or path per paper), hover and selection only redraw
// the overlay, hit-testing uses a uniform grid, frames go through
// requestAnimationFrame, and while a drag or zoom is under way on a map too
// large to re-render every frame the last bitmap is moved and scaled, with
// one full render when the gesture ends. The page exposes window.papermap
// (pointCount, screenOf, hoverText, search, select, neighbours, stats,
// benchPan, benchRender) for tests and scripting.
//
// # Reports
//
// A Report holds a corpus summary, the method paragraph, silhouette scores
// per k, the themes with their central papers and papers per year,
// outliers and near-duplicate pairs. WriteMarkdown and WriteReportHTML
// render the same sections; the HTML version adds a chart of themes over
// time and, when EmbedMap is set, the interactive map in an iframe.
//
// # Invariants
//
//   - Untrusted text stays text. HTML output is made with html/template;
//     the map's data travels as encoding/json output (which escapes <, >
//     and &) inside a <script type="application/json"> element and reaches
//     the DOM only through textContent; only http(s) URLs become links
//     (SafeURL). Markdown output escapes every field (MarkdownEscape).
//   - The HTML pages load nothing from the network. Their
//     Content-Security-Policy admits only their own inline script, by hash,
//     so even an injected script or event handler would not run.
//   - Output is deterministic: the same input gives byte-identical SVG,
//     PNG, HTML and Markdown (Report.Generated is the only clock input).
//   - Every writer validates the Map first (Map.Validate) and returns an
//     error wrapping ErrInvalidMap for inconsistent input; WriteFile never
//     leaves a half-written file.
//   - Theme colours and shapes depend only on the theme hierarchy
//     (ThemeStyles): broad themes take the palette in order and a
//     sub-theme is a shade of its broad theme's colour, so the static map,
//     the interactive map, the map JSON and the report agree.
package topicmap
