package topicmap

import (
	"encoding/json"
	"fmt"
	"io"
)

// jsonMap is the document WriteJSON writes (see its doc comment).
type jsonMap struct {
	Title  string `json:"title"`
	Layout string `json:"layout,omitempty"`
	// ThemeLevel is the hierarchy level of the papers' "theme".
	ThemeLevel int         `json:"theme_level"`
	Papers     []jsonPaper `json:"papers"`
	Themes     []jsonTheme `json:"themes"`
}

type jsonPaper struct {
	ID     string            `json:"id"`
	X      float32           `json:"x"`
	Y      float32           `json:"y"`
	Theme  *int              `json:"theme"`
	Themes []int             `json:"themes,omitempty"`
	Title  string            `json:"title,omitempty"`
	Year   int               `json:"year,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

type jsonTheme struct {
	ID       int      `json:"id"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Size     int      `json:"size"`
	X        float32  `json:"x"`
	Y        float32  `json:"y"`
	Level    int      `json:"level"`
	Parent   *int     `json:"parent"`
	Color    string   `json:"color"`
}

// WriteJSON writes m's layout for scripts and other tools:
//
//	{"title": "...", "layout": "umap", "theme_level": 1,
//	 "papers": [{"id", "x", "y", "theme", "themes", "title", "year", "fields"}...],
//	 "themes": [{"id", "label", "keywords", "size", "x", "y", "level", "parent", "color"}...]}
//
// A paper's "theme" is the ID of its theme at level "theme_level"
// (Map.ThemeLevel: the level the themes were chosen at; its most specific
// theme when that is shallower; null for none) and "themes" lists its theme
// IDs from the broadest level down when the themes form a hierarchy. Theme
// IDs number each level's themes, so a theme is named by its ID and level;
// a theme's "parent" is the ID of its broader theme in the level above
// (null at level 0) and (x, y) is where its label goes. "fields" holds the
// categorical metadata of Map.Fields. Coordinates are the map's own: only
// relative positions matter.
func WriteJSON(w io.Writer, m *Map) error {
	if err := m.Validate(); err != nil {
		return err
	}
	doc := jsonMap{Title: m.Title, Layout: m.Layout, ThemeLevel: m.ThemeLevel, Papers: make([]jsonPaper, len(m.Points)), Themes: make([]jsonTheme, len(m.Themes))}
	hier := false
	ts := ThemeStyles(m)
	for i, t := range m.Themes {
		col := ts[i].Color
		kw := t.Keywords
		if kw == nil {
			kw = []string{}
		}
		jt := jsonTheme{ID: t.ID, Label: t.Label, Keywords: kw, Size: t.Size, X: t.X, Y: t.Y, Level: t.Level, Color: hexColor(col)}
		if t.Level > 0 {
			hier = true
			id := m.Themes[t.Parent].ID
			jt.Parent = &id
		}
		doc.Themes[i] = jt
	}
	for i, p := range m.Points {
		jp := jsonPaper{ID: p.ID, X: p.X, Y: p.Y, Title: p.Title, Year: p.Year}
		if p.Theme >= 0 {
			// Validate makes levels fall along the chain, so this ends.
			for t := p.Theme; ; t = m.Themes[t].Parent {
				if jp.Theme == nil && m.Themes[t].Level <= m.ThemeLevel {
					id := m.Themes[t].ID
					jp.Theme = &id
				}
				if hier {
					jp.Themes = append([]int{m.Themes[t].ID}, jp.Themes...)
				}
				if m.Themes[t].Level == 0 {
					break
				}
			}
		}
		for _, f := range m.Fields {
			if v := f.Of[i]; v >= 0 {
				if jp.Fields == nil {
					jp.Fields = make(map[string]string, len(m.Fields))
				}
				jp.Fields[f.Name] = f.Values[v]
			}
		}
		doc.Papers[i] = jp
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("topicmap: writing json: %w", err)
	}
	return nil
}
