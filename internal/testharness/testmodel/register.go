package testmodel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ollama/ollama/api"
)

// Register creates model name on the Ollama server behind client from the
// model directory dir (as Write makes it): it uploads every file under dir
// as a blob named by its SHA-256 digest, then asks the server to create the
// model from the files, keyed by their paths relative to dir
// ("1_Pooling/config.json" included), through POST /api/create.
//
// The server converts the safetensors checkpoint to a GGUF itself. This is
// what `ollama create` does with a Modelfile "FROM dir", except that the
// CLI of v0.6.5 keys files by their base name, so "1_Pooling/config.json"
// overwrites "config.json" and the conversion fails with "unknown
// architecture"; the API does not have that problem.
//
// Registering a name that exists replaces the model.
func Register(ctx context.Context, client *api.Client, name, dir string) error {
	return register(ctx, client, &api.CreateRequest{Model: name}, dir)
}

// register uploads the files under dir and sends req with them.
func register(ctx context.Context, client *api.Client, req *api.CreateRequest, dir string) error {
	name := req.Model
	files := make(map[string]string)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		digest, err := uploadBlob(ctx, client, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = digest
		return nil
	})
	if err != nil {
		return fmt.Errorf("testmodel: registering %s from %s: %w", name, dir, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("testmodel: registering %s: no files in %s", name, dir)
	}
	var last string
	req.Files = files
	err = client.Create(ctx, req, func(p api.ProgressResponse) error {
		last = p.Status
		return nil
	})
	if err != nil {
		return fmt.Errorf("testmodel: creating %s: %w", name, err)
	}
	if last != "success" {
		return fmt.Errorf("testmodel: creating %s: server ended with status %q", name, last)
	}
	return nil
}

// uploadBlob sends the file at path to the server and returns its digest in
// the form the server names blobs by, "sha256:<hex>".
func uploadBlob(ctx context.Context, client *api.Client, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := client.CreateBlob(ctx, digest, f); err != nil {
		return "", fmt.Errorf("uploading %s: %w", path, err)
	}
	return digest, nil
}
