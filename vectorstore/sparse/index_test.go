package sparse

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// docs is a small collection whose scores are worked out by hand below.
var docs = map[string]string{
	"a": "galaxy redshift survey",
	"b": "galaxy rotation curves of galaxy clusters",
	"c": "graph neural networks",
	"d": "neural networks for redshift estimation",
}

func build(t *testing.T, o Options) *Index {
	t.Helper()
	x := New(o)
	// Added in an order other than by ID: results must not depend on it.
	for _, id := range []string{"d", "b", "a", "c"} {
		x.Add([]string{id}, []string{docs[id]})
	}
	return x
}

func TestSearchTFIDF(t *testing.T) {
	x := build(t, Options{MaxDF: 1})
	hits, also := x.Search("galaxy", 10, nil, []string{"a", "c", "zzz"})
	// By hand: idf(galaxy) = ln(5/3)+1 for n=4, df=2. Document a has three
	// terms of df 2 (galaxy, redshift) and 1 (survey) with tf 1; its
	// cosine with the one-term query is idf_g / ‖a‖.
	idf2 := math.Log(5.0/3) + 1
	idf1 := math.Log(5.0/2) + 1
	wantA := idf2 / math.Sqrt(2*idf2*idf2+idf1*idf1)
	// b: galaxy twice (1+ln 2), rotation, curves, clusters (df 1 each).
	gb := (1 + math.Log(2)) * idf2
	wantB := gb / math.Sqrt(gb*gb+3*idf1*idf1)
	if len(hits) != 2 {
		t.Fatalf("got %d hits, want 2: %v", len(hits), hits)
	}
	for _, c := range []struct {
		hit  Hit
		id   string
		want float64
	}{{hits[0], "b", wantB}, {hits[1], "a", wantA}} {
		if c.hit.ID != c.id || math.Abs(float64(c.hit.Score)-c.want) > 1e-6 {
			t.Errorf("hit %v, want %s with score %.6f", c.hit, c.id, c.want)
		}
	}
	if math.Abs(float64(also[0])-wantA) > 1e-6 || also[1] != 0 || also[2] != 0 {
		t.Errorf("scores of a, c, zzz = %v, want [%.6f 0 0]", also, wantA)
	}
}

func TestSearchKeepAndK(t *testing.T) {
	x := build(t, Options{MaxDF: 1})
	hits, _ := x.Search("neural redshift", 1, func(id string) bool { return id != "d" }, nil)
	if len(hits) != 1 || hits[0].ID != "a" && hits[0].ID != "c" {
		t.Fatalf("got %v, want one hit among a and c (d is filtered out)", hits)
	}
	if hits, _ := x.Search("unknownword", 5, nil, nil); len(hits) != 0 {
		t.Errorf("a query with no indexed term found %v", hits)
	}
}

func TestReplaceAndRemove(t *testing.T) {
	x := build(t, Options{MaxDF: 1})
	x.Add([]string{"c"}, []string{"galaxy mergers"})
	if hits, _ := x.Search("graph", 5, nil, nil); len(hits) != 0 {
		t.Errorf("replaced text still found: %v", hits)
	}
	x.Remove("a", "nope")
	if x.Len() != 3 || x.Has("a") {
		t.Errorf("after Remove: %d docs, has a = %v", x.Len(), x.Has("a"))
	}
	// The weights follow: an index built directly gives the same scores.
	y := New(Options{MaxDF: 1})
	y.Add([]string{"b", "c", "d"}, []string{docs["b"], "galaxy mergers", docs["d"]})
	for _, q := range []string{"galaxy", "redshift networks", "mergers of galaxy clusters"} {
		h1, _ := x.Search(q, 10, nil, nil)
		h2, _ := y.Search(q, 10, nil, nil)
		if len(h1) != len(h2) {
			t.Fatalf("%q: %v vs %v", q, h1, h2)
		}
		for i := range h1 {
			if h1[i].ID != h2[i].ID || math.Abs(float64(h1[i].Score-h2[i].Score)) > 1e-6 {
				t.Errorf("%q: updated index %v, fresh index %v", q, h1, h2)
			}
		}
	}
}

func TestWriteRead(t *testing.T) {
	for _, sc := range []Scoring{TFIDF, BM25} {
		x := build(t, Options{Scoring: sc})
		x.Fingerprint = "fp-1"
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		y, err := Read(buf.Bytes(), Options{Scoring: sc})
		if err != nil {
			t.Fatal(err)
		}
		if y.Fingerprint != "fp-1" || y.Len() != 4 {
			t.Errorf("read back fingerprint %q, %d docs", y.Fingerprint, y.Len())
		}
		for _, q := range []string{"galaxy", "neural networks redshift"} {
			h1, _ := x.Search(q, 10, nil, nil)
			h2, _ := y.Search(q, 10, nil, nil)
			if len(h1) != len(h2) || len(h1) == 0 {
				t.Fatalf("%q: %v vs %v", q, h1, h2)
			}
			for i := range h1 {
				if h1[i] != h2[i] {
					t.Errorf("scoring %d, %q: %v before saving, %v after", sc, q, h1, h2)
				}
			}
		}
		// Every truncation and every flipped byte is detected.
		data := buf.Bytes()
		for n := 0; n < len(data); n++ {
			if _, err := Read(data[:n], Options{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("cut to %d bytes: err %v, want ErrCorrupt", n, err)
			}
			bad := bytes.Clone(data)
			bad[n] ^= 0x40
			if _, err := Read(bad, Options{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d flipped: err %v, want ErrCorrupt", n, err)
			}
		}
	}
}

func TestFuse(t *testing.T) {
	ids := []string{"x", "y", "z"}
	dense := []float32{0.8, 0.4, 0.2}
	sp := []float32{0.0, 0.5, 0.25}
	// w=0.3: x 0.3·1 = 0.3; y 0.3·0.5 + 0.7·1 = 0.85; z 0.3·0.25 + 0.7·0.5 = 0.425.
	got := Fuse(ids, dense, sp, 2, FuseOptions{DenseWeight: 0.3})
	if len(got) != 2 || got[0].ID != "y" || got[1].ID != "z" ||
		math.Abs(float64(got[0].Score)-0.85) > 1e-6 || math.Abs(float64(got[1].Score)-0.425) > 1e-6 {
		t.Errorf("Fuse = %v, want [y 0.85] [z 0.425]", got)
	}
	// RRF, k=60: x ranks 1 and absent, y 2 and 1, z 3 and 2.
	got = Fuse(ids, dense, sp, 3, FuseOptions{RRF: true})
	if got[0].ID != "y" || got[1].ID != "z" || got[2].ID != "x" {
		t.Errorf("RRF = %v, want y, z, x", got)
	}
}
