package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"title":"Dark matter","abstract":"the dark side"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // substring; "" for success
		check   func(t *testing.T, stdout string)
	}{
		{name: "write tiny", args: []string{"-spec", "tiny", "-dir", dir}, check: func(t *testing.T, _ string) {
			if _, err := os.Stat(filepath.Join(dir, "tiny", "model.safetensors")); err != nil {
				t.Error(err)
			}
		}},
		{name: "write llama", args: []string{"-spec", "papermap-llama", "-dir", dir}, check: func(t *testing.T, _ string) {
			if _, err := os.Stat(filepath.Join(dir, "llama", "model.safetensors")); err != nil {
				t.Error(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "minilm")); err == nil {
				t.Error("-spec papermap-llama also wrote minilm")
			}
		}},
		{name: "words", args: []string{"-words", jsonl}, check: func(t *testing.T, out string) {
			if want := "dark\t2\nmatter\t1\nside\t1\nthe\t1\n"; out != want {
				t.Errorf("stdout %q, want %q", out, want)
			}
		}},
		{name: "unknown spec", args: []string{"-spec", "huge", "-dir", dir}, wantErr: "unknown test model"},
		{name: "register without host", args: []string{"-spec", "tiny", "-dir", dir, "-register"},
			env: map[string]string{"OLLAMA_TEST_HOST": "", "OLLAMA_HOST": ""}, wantErr: "needs -host"},
		{name: "stray argument", args: []string{"tiny"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (stderr %s)", err, stderr.String())
			}
			tt.check(t, stdout.String())
		})
	}
}
