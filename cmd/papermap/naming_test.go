package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/papermap/papermap/internal/testharness/testmodel"
	"github.com/papermap/papermap/naming"
)

type labelled struct {
	Label string `json:"label"`
}

type themesOut struct {
	Themes    []labelled   `json:"themes"`
	Hierarchy [][]labelled `json:"hierarchy"`
}

// themeLabels returns the labels of themes --json: the themes', then each
// level's of the hierarchy.
func themeLabels(t *testing.T, out string) []string {
	t.Helper()
	var labels []string
	v := decode[themesOut](t, out)
	for _, th := range v.Themes {
		labels = append(labels, th.Label)
	}
	for _, lv := range v.Hierarchy {
		for _, th := range lv {
			labels = append(labels, th.Label)
		}
	}
	return labels
}

// closedPort returns host:port of a port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// namingMessages returns the lines of stderr about naming.
func namingMessages(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "naming themes") {
			out = append(out, l)
		}
	}
	return out
}

func TestThemesNamerWithoutServer(t *testing.T) {
	store := seedStore(t)
	want := themeLabels(t, mustRun(t, "themes", "--store", store, "--k", "4", "--json"))
	out, stderr, code := run(t, "", "themes", "--store", store, "--k", "4", "--json",
		"--namer", "ollama", "--namer-model", "llama3.2", "--ollama-host", closedPort(t))
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	if got := themeLabels(t, out); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("labels %q, want the keyword labels %q", got, want)
	}
	msgs := namingMessages(stderr)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "cannot reach Ollama") || !strings.Contains(msgs[0], "themes keep their keyword labels") {
		t.Errorf("messages %q, want one saying the server cannot be reached and the themes keep their keyword labels", msgs)
	}
}

func TestThemesNamerUsage(t *testing.T) {
	store := seedStore(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--namer", "gpt"}, "--namer must be keywords or ollama"},
		{[]string{"--namer", "ollama"}, "needs --namer-model"},
		{[]string{"--namer-model", "x"}, "only used with --namer ollama"},
	} {
		_, stderr, code := run(t, "", append([]string{"themes", "--store", store}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("themes %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestOllamaServerThemesNamer names themes with the random-letter test
// model on a server of the test's own, then stops the server: themes
// still finishes, with keyword labels and one message.
func TestOllamaServerThemesNamer(t *testing.T) {
	srv := startOllamaServer(t, "namer")
	store := seedStore(t)
	keyword := themeLabels(t, mustRun(t, "themes", "--store", store, "--k", "2", "--json"))
	args := []string{"themes", "--store", store, "--k", "2", "--json",
		"--namer", "ollama", "--namer-model", testmodel.LlamaLetters.Model, "--ollama-host", srv.url}

	out, stderr, code := run(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	named := themeLabels(t, out)
	t.Logf("keyword labels %q, names %q", keyword, named)
	if len(named) != len(keyword) {
		t.Fatalf("%d labels, %d without the namer", len(named), len(keyword))
	}
	for i, l := range named {
		// A sanitised answer, with a keyword in parentheses when a sibling
		// got the same one.
		base, _, _ := strings.Cut(l, " (")
		if l == keyword[i] || base != naming.Sanitize(base) || utf8.RuneCountInString(l) > naming.MaxRunes {
			t.Errorf("theme %d: label %q (keyword label %q): want a sanitised name from the model", i, l, keyword[i])
		}
	}
	if msgs := namingMessages(stderr); len(msgs) != 0 {
		t.Errorf("messages %q, want none", msgs)
	}
	cache, err := os.ReadFile(filepath.Join(store, naming.CacheFile))
	if err != nil || !strings.Contains(string(cache), testmodel.LlamaLetters.Model) {
		t.Errorf("cache %s: %v\n%s", naming.CacheFile, err, cache)
	}
	// The saved themes carry the names: map and report use them.
	if saved, err := os.ReadFile(filepath.Join(store, "themes.json")); err != nil || !strings.Contains(string(saved), `"label":"`+named[0]+`"`) {
		t.Errorf("themes.json does not have the name %q: %v", named[0], err)
	}

	if _, err := srv.script("stop", "--name", srv.name); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = run(t, "", args...)
	if code != 0 {
		t.Fatalf("server stopped: exit %d\n%s", code, stderr)
	}
	if got := themeLabels(t, out); strings.Join(got, "|") != strings.Join(keyword, "|") {
		t.Errorf("server stopped: labels %q, want the keyword labels %q", got, keyword)
	}
	msgs := namingMessages(stderr)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "cannot reach Ollama at "+srv.url) || !strings.Contains(msgs[0], "keep their keyword labels") {
		t.Errorf("server stopped: messages %q, want one naming %s", msgs, srv.url)
	}
}
