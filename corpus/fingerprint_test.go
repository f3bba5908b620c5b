package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestFingerprintOnePass checks that the fingerprint taken in one pass
// (vectorstore.Store.IDHashes) is the one of every ID and its Lookup, in
// ID order, that theme models and exact-term indexes saved before it hold.
func TestFingerprintOnePass(t *testing.T) {
	c := ingestPapers(t, readSeed(t))
	h := sha256.New()
	for _, id := range c.store.IDs() {
		hash, _ := c.store.Lookup(id)
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write([]byte(hash))
		h.Write([]byte{0})
	}
	want := hex.EncodeToString(h.Sum(nil)[:16])
	if _, ok := c.store.(interface{ IDHashes() ([]string, []string) }); !ok {
		t.Fatal("the store has no IDHashes: the test would not cover the one-pass path")
	}
	if got := c.fingerprint(); got != want {
		t.Errorf("fingerprint %s, by IDs and Lookup %s", got, want)
	}
}
