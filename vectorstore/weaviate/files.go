package weaviate

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-openapi/strfmt"
)

func strfmtUUID(s string) strfmt.UUID { return strfmt.UUID(s) }

// Files (the manifest, the lexical model, the theme model...) are kept in
// the companion collection COLLECTION_Files, in parts of at most 4 MiB.
// A file is replaced atomically: its new parts are written under a new
// generation, then one pointer object (name, generation, number of parts,
// sha256) is replaced, then the old generation's parts are deleted. A
// reader follows the pointer, so it sees the old file or the new one.

// checkName refuses names that are not plain file names, and the
// manifest (the store's own).
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..", strings.ContainsAny(name, `/\`), strings.HasPrefix(name, "."):
		return fmt.Errorf("weaviate: %q is not a plain file name", name)
	case name == manifestFile:
		return fmt.Errorf("weaviate: %q is the store's own file", name)
	}
	return nil
}

// WriteFile stores data as file name of the store (see vectorstore.Store's
// WriteFile), replaced atomically.
func (s *Store) WriteFile(name string, data []byte) error {
	unlock, err := s.beginFileWrite(name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.writeFile(context.Background(), name, data)
}

// beginFileWrite checks name and that the store is writable, and takes
// the write lock; unlock releases it.
func (s *Store) beginFileWrite(name string) (unlock func(), err error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	s.wmu.Lock()
	s.mu.RLock()
	err = s.writable()
	s.mu.RUnlock()
	if err != nil {
		s.wmu.Unlock()
		return nil, err
	}
	return s.wmu.Unlock, nil
}

// RemoveFile removes file name; a missing file is not an error.
func (s *Store) RemoveFile(name string) error {
	unlock, err := s.beginFileWrite(name)
	if err != nil {
		return err
	}
	defer unlock()
	ctx := context.Background()
	ptr, err := s.getObject(ctx, fileUUID(name, "", -1))
	if err != nil || ptr == nil {
		return err
	}
	if err := s.deleteObject(ctx, fileUUID(name, "", -1)); err != nil {
		return err
	}
	return s.deleteParts(ctx, name, str(ptr[propGen]), intOf(ptr[propParts]))
}

// ReadFile returns file name; when there is none the error matches
// fs.ErrNotExist.
func (s *Store) ReadFile(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return s.readFile(context.Background(), name)
}

type fileObject struct {
	Class      string         `json:"class"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
}

func (s *Store) writeFile(ctx context.Context, name string, data []byte) error {
	old, err := s.getObject(ctx, fileUUID(name, "", -1))
	if err != nil {
		return err
	}
	var g [8]byte
	rand.Read(g[:])
	gen := hex.EncodeToString(g[:])
	parts := (len(data) + filePart - 1) / filePart
	for i := 0; i < parts; i++ {
		chunk := data[i*filePart : min((i+1)*filePart, len(data))]
		o := fileObject{Class: s.files, ID: fileUUID(name, gen, i), Properties: map[string]any{
			propName: name, propGen: gen, propPart: i, propData: base64.StdEncoding.EncodeToString(chunk)}}
		if err := s.putObjects(ctx, []fileObject{o}); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	sum := sha256.Sum256(data)
	ptr := fileObject{Class: s.files, ID: fileUUID(name, "", -1), Properties: map[string]any{
		propName: name, propGen: gen, propPart: -1, propParts: parts,
		propData: base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:])))}}
	if err := s.putObjects(ctx, []fileObject{ptr}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if old != nil {
		// Leftovers cost space, not correctness: a failure here is not
		// the write's.
		_ = s.deleteParts(ctx, name, str(old[propGen]), intOf(old[propParts]))
	}
	return nil
}

func (s *Store) readFile(ctx context.Context, name string) ([]byte, error) {
	ptr, err := s.getObject(ctx, fileUUID(name, "", -1))
	if err != nil {
		return nil, err
	}
	if ptr == nil {
		return nil, fmt.Errorf("weaviate: %s in %s: %w", name, s.addr.Raw, fs.ErrNotExist)
	}
	gen, parts := str(ptr[propGen]), intOf(ptr[propParts])
	var data []byte
	for i := 0; i < parts; i++ {
		p, err := s.getObject(ctx, fileUUID(name, gen, i))
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, fmt.Errorf("weaviate: file %s of %s lacks part %d of %d: write it again", name, s.addr.Raw, i+1, parts)
		}
		b, err := base64.StdEncoding.DecodeString(str(p[propData]))
		if err != nil {
			return nil, fmt.Errorf("weaviate: file %s of %s: part %d: %w", name, s.addr.Raw, i+1, err)
		}
		data = append(data, b...)
	}
	want, _ := base64.StdEncoding.DecodeString(str(ptr[propData]))
	sum := sha256.Sum256(data)
	if string(want) != hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("weaviate: file %s of %s does not match its checksum: write it again", name, s.addr.Raw)
	}
	return data, nil
}

func (s *Store) deleteParts(ctx context.Context, name, gen string, parts int) error {
	for i := 0; i < parts; i++ {
		if err := s.deleteObject(ctx, fileUUID(name, gen, i)); err != nil {
			return err
		}
	}
	return nil
}

func intOf(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}

// rest sends one REST request at the store's consistency level and
// decodes a JSON answer into out (when not nil). It returns the status.
func (s *Store) rest(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	u := s.addr.restURL() + path
	if strings.Contains(u, "?") {
		u += "&"
	} else {
		u += "?"
	}
	u += "consistency_level=" + url.QueryEscape(s.level)
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, &UnreachableError{Address: s.addr.Raw, URL: s.addr.restURL(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, &UnreachableError{Address: s.addr.Raw, URL: s.addr.restURL(), Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return resp.StatusCode, &AuthError{Address: s.addr.Raw, Status: resp.StatusCode, HadKey: s.key != ""}
	case resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, nil
	case resp.StatusCode/100 != 2:
		return resp.StatusCode, fmt.Errorf("weaviate: %s %s at %s: %s: %s", method, path, s.addr.Raw, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("weaviate: %s %s at %s: %w", method, path, s.addr.Raw, err)
		}
	}
	return resp.StatusCode, nil
}

// getObject returns the properties of file object id, or nil when there
// is none.
func (s *Store) getObject(ctx context.Context, id string) (map[string]any, error) {
	var o struct {
		Properties map[string]any `json:"properties"`
	}
	code, err := s.rest(ctx, http.MethodGet, "/v1/objects/"+s.files+"/"+id, nil, &o)
	if err != nil {
		return nil, err
	}
	if code == http.StatusNotFound {
		return nil, nil
	}
	if o.Properties == nil {
		o.Properties = map[string]any{}
	}
	return o.Properties, nil
}

func (s *Store) deleteObject(ctx context.Context, id string) error {
	_, err := s.rest(ctx, http.MethodDelete, "/v1/objects/"+s.files+"/"+id, nil, nil)
	return err
}

// putObjects creates or replaces objects through the REST batch endpoint
// and checks each answer.
func (s *Store) putObjects(ctx context.Context, objs []fileObject) error {
	var res []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *struct {
				Error []struct {
					Message string `json:"message"`
				} `json:"error"`
			} `json:"errors"`
		} `json:"result"`
	}
	if _, err := s.rest(ctx, http.MethodPost, "/v1/batch/objects", map[string]any{"objects": objs}, &res); err != nil {
		return err
	}
	if len(res) != len(objs) {
		return fmt.Errorf("weaviate: batch write to %s answered %d results for %d objects", s.addr.Raw, len(res), len(objs))
	}
	for _, r := range res {
		if r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
			return fmt.Errorf("weaviate: write to %s at consistency %s failed: %s", s.addr.Raw, s.level, r.Result.Errors.Error[0].Message)
		}
	}
	return nil
}
