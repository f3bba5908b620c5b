package main

import (
	"strings"
	"testing"

	"github.com/papermap/papermap/vectorstore"
)

func TestWhereFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		exprs   []string
		want    vectorstore.Filter
		wantErr string
	}{
		{name: "none", exprs: nil, want: nil},
		{name: "one", exprs: []string{"year=2019"}, want: vectorstore.Filter{"year": "2019"}},
		{name: "two", exprs: []string{"year=2019", "venue=sigir"}, want: vectorstore.Filter{"year": "2019", "venue": "sigir"}},
		{name: "spaces trimmed", exprs: []string{"  venue =  sigir  "}, want: vectorstore.Filter{"venue": "sigir"}},
		{name: "double quotes", exprs: []string{`title="Deep = learning "`}, want: vectorstore.Filter{"title": "Deep = learning "}},
		{name: "single quotes", exprs: []string{`venue='sigir'`}, want: vectorstore.Filter{"venue": "sigir"}},
		{name: "unmatched quote kept", exprs: []string{`venue="sigir`}, want: vectorstore.Filter{"venue": `"sigir`}},
		{name: "double equals", exprs: []string{"year==2019"}, want: vectorstore.Filter{"year": "2019"}},
		{name: "empty value", exprs: []string{"doi="}, want: vectorstore.Filter{"doi": ""}},
		{name: "dotted key", exprs: []string{"extra.booktitle-short_v2=SIGIR '19"}, want: vectorstore.Filter{"extra.booktitle-short_v2": "SIGIR '19"}},
		{name: "same key, same value", exprs: []string{"year=2019", "year = 2019"}, want: vectorstore.Filter{"year": "2019"}},
		{name: "no equals", exprs: []string{"year 2019"}, wantErr: `want KEY=VALUE`},
		{name: "no key", exprs: []string{"=2019"}, wantErr: `no key before '='`},
		{name: "bad key", exprs: []string{"publication year=2019"}, wantErr: `key "publication year" has ' '`},
		{name: "non-ASCII key", exprs: []string{"année=2019"}, wantErr: `has 'é'`},
		{name: "same key, two values", exprs: []string{"year=2019", "year=2020"}, wantErr: `year is given twice ("2019" and "2020")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w whereFlag
			var err error
			for _, e := range tc.exprs {
				if err = w.Set(e); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Set(%q) error %v, want %q", tc.exprs, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(w.filter) != len(tc.want) {
				t.Fatalf("Set(%q) = %v, want %v", tc.exprs, w.filter, tc.want)
			}
			for k, v := range tc.want {
				if g, ok := w.filter[k]; !ok || g != v {
					t.Fatalf("Set(%q) = %v, want %v", tc.exprs, w.filter, tc.want)
				}
			}
		})
	}
}

// FuzzWhereFlag checks that whatever --where accepts has a valid key and
// reads back the same when written as KEY="VALUE". Seeds are here and in
// testdata/fuzz/FuzzWhereFlag.
func FuzzWhereFlag(f *testing.F) {
	for _, s := range []string{"year=2019", ` venue = "sigir" `, "a==b", "=x", "k='v'", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		var w whereFlag
		if w.Set(expr) != nil {
			return
		}
		if len(w.filter) != 1 {
			t.Fatalf("Set(%q) = %v: want one key", expr, w.filter)
		}
		for k, v := range w.filter {
			if k == "" || strings.IndexFunc(k, func(r rune) bool { return !whereKeyRune(r) }) >= 0 {
				t.Fatalf("Set(%q): key %q", expr, k)
			}
			var again whereFlag
			if err := again.Set(k + `="` + v + `"`); err != nil || again.filter[k] != v || len(again.filter) != 1 {
				t.Fatalf("Set(%q) = %q=%q, which reads back as %v, %v", expr, k, v, again.filter, err)
			}
		}
	})
}

// TestWhereUnknownField: a --where on a field no stored paper has is an
// error (exit 1) naming the fields that exist, not an empty table (issue
// 12, §5); a field that exists but matches nothing is still an empty
// answer, and a bad expression is a usage error (exit 2).
func TestWhereUnknownField(t *testing.T) {
	store := seedStore(t)
	id := decode[results](t, mustRun(t, "search", "--store", store, "--json", "-k", "1", "control variates")).Results[0].ID
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		wantErr []string
	}{
		{"search, unknown field", []string{"search", "--store", store, "--where", "venue=sigir", "control variates"}, exitFailure,
			[]string{"--where venue: no stored paper has this field; the fields are: ", "title"}},
		{"similar, two unknown fields", []string{"similar", "--store", store, "--where", "venue=kdd", "--where", "archive=cs", id}, exitFailure,
			[]string{"--where archive, venue: no stored paper has these fields"}},
		{"bad expression", []string{"search", "--store", store, "--where", "year 2019", "x"}, exitUsage,
			[]string{`invalid value "year 2019" for flag -where: want KEY=VALUE`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr = %q, want it to contain %q", errs, w)
				}
			}
			if strings.Contains(errs, "vectorstore:") {
				t.Errorf("stderr names the store package: %q", errs)
			}
		})
	}
	t.Run("known field, no match", func(t *testing.T) {
		out, errs, code := run(t, "", "search", "--store", store, "--json", "--where", "title=no such title", "control variates")
		if code != 0 || decode[results](t, out).Results == nil || len(decode[results](t, out).Results) != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q: want exit 0 and no results", code, out, errs)
		}
	})
}
