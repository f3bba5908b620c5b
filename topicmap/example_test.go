package topicmap_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/topicmap"
)

// A map is plain data: papers with coordinates and a theme index, and the
// themes. WriteFile picks the format from the extension.
func ExampleWriteFile() {
	m := &topicmap.Map{
		Title: "Two themes",
		Points: []topicmap.Point{
			{ID: "p1", Title: "Graph neural networks for molecules", X: -1, Y: 0.2, Theme: 0, Year: 2021},
			{ID: "p2", Title: "Message passing on graphs", X: -0.8, Y: 0.1, Theme: 0, Year: 2022},
			{ID: "p3", Title: "Dark matter halo profiles", X: 1.1, Y: -0.3, Theme: 1, Year: 2019},
		},
		Themes: []topicmap.Theme{
			{ID: 0, Label: "graph · neural", Keywords: []string{"graph", "neural"}, Size: 2, X: -0.9, Y: 0.15},
			{ID: 1, Label: "halo · dark", Keywords: []string{"halo", "dark"}, Size: 1, X: 1.1, Y: -0.3},
		},
	}
	dir, err := os.MkdirTemp("", "topicmap-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"map.svg", "map.png", "map.html", "map.pdf"} {
		err := topicmap.WriteFile(filepath.Join(dir, name), m)
		fmt.Println(name, err == nil)
	}
	// Output:
	// map.svg true
	// map.png true
	// map.html true
	// map.pdf false
}

// A report renders the same facts as Markdown or HTML; every field is
// escaped, so a title cannot inject markup or break a table.
func ExampleWriteMarkdown() {
	r := &topicmap.Report{
		Title:  "Reading list",
		Corpus: topicmap.CorpusInfo{Papers: 3, Embedder: "lexical", Model: "lsa-64", Dimensions: 64, YearMin: 2019, YearMax: 2022},
		Method: "k-means with k = 2, seed 1.",
		Themes: []topicmap.ReportTheme{
			{ID: 0, Label: "graph · neural", Keywords: []string{"graph", "neural"}, Size: 2, Stability: 0.92, Coherence: 0.31,
				Central: []topicmap.PaperRef{{ID: "p2", Title: "Message passing | on <graphs>", Year: 2022, Score: 0.93}},
				Years:   map[int]int{2021: 1, 2022: 1}},
			{ID: 1, Label: "halo · dark", Keywords: []string{"halo", "dark"}, Size: 1, Stability: 0.41, Unstable: true, Coherence: -0.2, Years: map[int]int{2019: 1}},
		},
		Quality: topicmap.Quality{Silhouette: 0.21, Diversity: 1, Coherence: 0.055},
		MapHTML: "map.html",
	}
	topicmap.WriteMarkdown(os.Stdout, r)
	// Output:
	// # Reading list
	//
	// ## Summary
	//
	// - **Corpus:** 3 papers, published 2019–2022
	// - **Embedder:** lexical (model lsa-64, 64 dimensions)
	// - **Themes:** 2
	// - **Map:** [open the interactive map](map.html)
	//
	// ## Method
	//
	// k-means with k = 2, seed 1.
	//
	// ## Quality
	//
	// - **Silhouette:** 0.210 (mean cosine silhouette of the papers' vectors under these themes; −1 to 1)
	// - **Topic diversity:** 1.000 (share of distinct words among the themes' top 10 keywords)
	// - **NPMI coherence:** 0.055 (mean NPMI of each theme's top 10 keywords over 10-word windows of the texts; −1 to 1)
	//
	// ## Themes
	//
	// | # | papers | label | keywords | stability | NPMI | note |
	// |---:|---:|---|---|---:|---:|---|
	// | 0 | 2 | graph · neural | graph, neural | 0.920 | 0.310 |  |
	// | 1 | 1 | halo · dark | halo, dark | 0.410 | -0.200 | unstable |
	//
	// ### 0. graph · neural
	//
	// 2 papers · keywords: graph, neural
	//
	// Central papers (cosine to the theme centre):
	//
	// 1. **Message passing \| on &lt;graphs&gt;** (2022) — p2 · 0.930
	//
	// ### 1. halo · dark
	//
	// 1 paper · **unstable** · keywords: halo, dark
	//
	// ## Themes over time
	//
	// Papers per year and theme.
	//
	// | year | 0 | 1 | total |
	// |---:|---:|---:|---:|
	// | 2019 | 0 | 1 | 1 |
	// | 2021 | 1 | 0 | 1 |
	// | 2022 | 1 | 0 | 1 |
}

func ExampleMarkdownEscape() {
	fmt.Println(topicmap.MarkdownEscape("</script> | [x](javascript:alert(1))"))
	// Output:
	// &lt;/script&gt; \| \[x\](javascript:alert(1))
}
